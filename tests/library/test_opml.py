"""OPML: reading what AntennaPod and Pocket Casts write, matching it to the
catalog, following, refusing hostile files, and exporting for other apps."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import defusedxml.ElementTree
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.catalog.services import show_create
from ondas.core.errors import ErrorCode
from ondas.ingest.models import FeedSource
from ondas.ingest.selectors import feed_url_key, show_match_feed_urls
from ondas.library.errors import OPMLInvalid, OPMLTooLarge, OPMLXMLForbidden
from ondas.library.models import Follow
from ondas.library.opml import OPMLFeed, opml_parse
from ondas.library.selectors import follow_export_opml
from ondas.library.services import follow_import_opml, follow_show
from tests.accounts.factories import user_make

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
ANTENNAPOD = (DATA / "antennapod.opml").read_bytes()
POCKET_CASTS = (DATA / "pocketcasts.opml").read_bytes()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<opml version="2.0"><head><title>&lol4;</title></head><body>
<outline type="rss" text="Tiny" xmlUrl="https://ondas.example/shows/tiny-talks/feed.xml"/>
</body></opml>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><head><title>&secret;</title></head><body>
<outline type="rss" text="Tiny" xmlUrl="https://ondas.example/shows/tiny-talks/feed.xml"/>
</body></opml>
"""

# Well-formed up to the last line: the first outline would match a show.
CUT_OFF = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>x</title></head><body>
<outline type="rss" text="Tiny" xmlUrl="https://ondas.example/shows/tiny-talks/feed.xml"/>
<outline type="rss" text="Chaos" xmlUrl="https://feeds.example.org/chaos-radio.xml"
"""


@pytest.fixture(autouse=True)
def quick_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The samples name this site https://ondas.example (and 127.0.0.1:8000).
    settings.SITE_URL = "https://ondas.example"


@pytest.fixture
def tiny_talks(db: None) -> Show:
    """A show made in Ondas: matched by its own public feed address."""
    return show_create(title="Tiny Talks", author="Ana", language="en")


@pytest.fixture
def chaos_radio(db: None) -> Show:
    """A show imported from a feed: matched by that feed's address."""
    show = show_create(title="Chaos Radio", author="Chaos Crew", language="en")
    FeedSource.objects.create(
        show=show,
        url="https://feeds.example.org/chaos-radio.xml",
        next_refresh_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return show


def followed(user: User) -> set[str]:
    return set(Follow.objects.filter(user=user).values_list("show__slug", flat=True))


# Reading ------------------------------------------------------------------


def test_opml_parse_reads_antennapod_flat_outlines() -> None:
    assert opml_parse(ANTENNAPOD) == [
        OPMLFeed(
            "http://FEEDS.Example.org/chaos-radio.xml/",
            "Chaos Radio",
            "https://chaos.example.com/",
        ),
        OPMLFeed(
            "https://ondas.example/shows/tiny-talks/feed.xml",
            "Tiny Talks",
            "https://ondas.example/shows/tiny-talks/",
        ),
        OPMLFeed(
            "https://podcasts.example.net/garden-hour/rss",
            "Garden Hour",
            "https://garden.example.net/",
        ),
    ]


def test_opml_parse_reads_pocket_casts_outlines_nested_in_a_category() -> None:
    assert opml_parse(POCKET_CASTS) == [
        OPMLFeed("https://feeds.example.org/chaos-radio.xml", "Chaos Radio"),
        OPMLFeed(
            "https://audio.example.com/night-trains/feed.rss?format=mp3",
            "Night Trains & Slow Boats",
        ),
        OPMLFeed("http://127.0.0.1:8000/shows/tiny-talks/feed.xml", "Tiny Talks"),
    ]


def test_opml_parse_lists_a_feed_once_and_accepts_lowercase_xmlurl() -> None:
    document = b"""<opml version="2.0"><body>
      <outline xmlurl="https://a.example/feed" text="A"/>
      <outline xmlUrl="https://a.example/feed" text="A again"/>
      <outline text="no feed here"/>
    </body></opml>"""
    assert opml_parse(document) == [OPMLFeed("https://a.example/feed", "A")]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://example.com/feed", "example.com/feed"),
        ("HTTP://Example.COM/feed/", "example.com/feed"),
        ("http://example.com:80/feed", "example.com/feed"),
        ("https://example.com:443/feed#top", "example.com/feed"),
        ("https://example.com:8443/feed", "example.com:8443/feed"),
        ("https://example.com/Feed?id=7", "example.com/Feed?id=7"),
    ],
)
def test_feed_url_key_ignores_scheme_host_case_default_port_and_slash(
    url: str, key: str
) -> None:
    assert feed_url_key(url) == key


def test_show_match_feed_urls_by_own_feed_on_this_sites_hosts_and_by_source(
    tiny_talks: Show, chaos_radio: Show
) -> None:
    urls = [
        "https://ondas.example/shows/tiny-talks/feed.xml",
        "http://localhost:8000/shows/tiny-talks/feed.xml/",
        "https://FEEDS.example.org/chaos-radio.xml/",
        "http://feeds.example.org/chaos-radio.xml",
        "https://feeds.example.org/Chaos-Radio.xml",  # the path's case counts
        "https://ondas.example/shows/no-such-show/feed.xml",
        "https://ondas.example/shows/tiny-talks/",  # the page, not the feed
        # Another Ondas's show with the same slug is another show.
        "https://elsewhere.example/shows/tiny-talks/feed.xml",
    ]
    matches = show_match_feed_urls(urls=urls)
    assert {url: show.slug for url, show in matches.items()} == {
        urls[0]: "tiny-talks",
        urls[1]: "tiny-talks",
        urls[2]: "chaos-radio",
        urls[3]: "chaos-radio",
    }


# Importing ----------------------------------------------------------------


def test_follow_import_opml_from_antennapod_follows_catalog_shows(
    listener: User, tiny_talks: Show, chaos_radio: Show
) -> None:
    result = follow_import_opml(user=listener, data=ANTENNAPOD)

    assert [s.slug for s in result.followed] == ["chaos-radio", "tiny-talks"]
    assert result.already == []
    assert [f.title for f in result.unmatched] == ["Garden Hour"]
    assert followed(listener) == {"chaos-radio", "tiny-talks"}


def test_follow_import_opml_from_pocket_casts_follows_catalog_shows(
    listener: User, tiny_talks: Show, chaos_radio: Show
) -> None:
    follow_show(user=listener, show=tiny_talks)

    result = follow_import_opml(user=listener, data=POCKET_CASTS)

    assert [s.slug for s in result.followed] == ["chaos-radio"]
    assert [s.slug for s in result.already] == ["tiny-talks"]
    assert [f.xml_url for f in result.unmatched] == [
        "https://audio.example.com/night-trains/feed.rss?format=mp3"
    ]
    assert followed(listener) == {"chaos-radio", "tiny-talks"}


def test_follow_import_opml_twice_changes_nothing_the_second_time(
    listener: User, tiny_talks: Show, chaos_radio: Show
) -> None:
    follow_import_opml(user=listener, data=ANTENNAPOD)
    result = follow_import_opml(user=listener, data=ANTENNAPOD)

    assert result.followed == []
    assert len(result.already) == 2
    assert Follow.objects.filter(user=listener).count() == 2


@pytest.mark.parametrize(
    ("document", "error", "code", "message"),
    [
        (
            BILLION_LAUGHS,
            OPMLXMLForbidden,
            ErrorCode.OPML_XML_FORBIDDEN,
            "The OPML file uses entity declarations, which Ondas refuses to read "
            "(it can be used to attack the server). Nothing was imported.",
        ),
        (
            EXTERNAL_ENTITY,
            OPMLXMLForbidden,
            ErrorCode.OPML_XML_FORBIDDEN,
            "The OPML file uses entity declarations, which Ondas refuses to read "
            "(it can be used to attack the server). Nothing was imported.",
        ),
        (
            b'<rss version="2.0"><channel/></rss>',
            OPMLInvalid,
            ErrorCode.OPML_INVALID,
            "This is not an OPML file Ondas can read: its root element is <rss>, "
            "not <opml>.",
        ),
        (
            b'<opml version="2.0"><head/></opml>',
            OPMLInvalid,
            ErrorCode.OPML_INVALID,
            "This is not an OPML file Ondas can read: it has no <body>.",
        ),
        (
            b"  \n",
            OPMLInvalid,
            ErrorCode.OPML_INVALID,
            "This is not an OPML file Ondas can read: the file is empty.",
        ),
    ],
    ids=["billion-laughs", "external-entity", "rss", "no-body", "empty"],
)
def test_follow_import_opml_refuses_hostile_or_broken_files_and_changes_nothing(
    listener: User,
    tiny_talks: Show,
    chaos_radio: Show,
    document: bytes,
    error: type[Exception],
    code: ErrorCode,
    message: str,
) -> None:
    with pytest.raises(error) as exc_info:
        follow_import_opml(user=listener, data=document)

    assert getattr(exc_info.value, "code", None) == code
    assert getattr(exc_info.value, "message", None) == message
    assert followed(listener) == set()


def test_follow_import_opml_of_a_cut_off_file_follows_none_of_its_shows(
    listener: User, tiny_talks: Show, chaos_radio: Show
) -> None:
    """The file is read to its end before anything is followed."""
    with pytest.raises(OPMLInvalid) as exc_info:
        follow_import_opml(user=listener, data=CUT_OFF)

    # The parser's own words follow, with the line where it stopped.
    assert exc_info.value.message.startswith(
        "This is not an OPML file Ondas can read: "
    )
    assert "line 4" in exc_info.value.message
    assert followed(listener) == set()


def test_follow_import_opml_refuses_a_file_over_the_limit(
    listener: User, tiny_talks: Show, settings: Settings
) -> None:
    settings.ONDAS_OPML_MAX_BYTES = len(ANTENNAPOD) - 1

    with pytest.raises(OPMLTooLarge) as exc_info:
        follow_import_opml(user=listener, data=ANTENNAPOD)

    assert exc_info.value.code == ErrorCode.OPML_TOO_LARGE
    assert followed(listener) == set()


# Exporting ----------------------------------------------------------------


def test_follow_export_opml_lists_exact_public_feed_and_page_urls(
    listener: User, tiny_talks: Show, chaos_radio: Show
) -> None:
    follow_show(user=listener, show=tiny_talks)
    follow_show(user=listener, show=chaos_radio)

    body = follow_export_opml(user=listener, base_url="https://ondas.example/")

    # Read with the standard library too: the export has nothing it would refuse.
    for root in (ET.fromstring(body), defusedxml.ElementTree.fromstring(body)):
        assert root.tag == "opml" and root.get("version") == "2.0"
        outlines = [o.attrib for o in root.iter("outline")]
        assert outlines == [
            {
                "type": "rss",
                "text": "Chaos Radio",
                "title": "Chaos Radio",
                "xmlUrl": "https://ondas.example/shows/chaos-radio/feed.xml",
                "htmlUrl": "https://ondas.example/shows/chaos-radio/",
            },
            {
                "type": "rss",
                "text": "Tiny Talks",
                "title": "Tiny Talks",
                "xmlUrl": "https://ondas.example/shows/tiny-talks/feed.xml",
                "htmlUrl": "https://ondas.example/shows/tiny-talks/",
            },
        ]


def test_export_then_import_on_a_fresh_account_gives_the_same_follows(
    listener: User, tiny_talks: Show, chaos_radio: Show
) -> None:
    show_create(title="Not Followed", author="X", language="en")
    follow_show(user=listener, show=tiny_talks)
    follow_show(user=listener, show=chaos_radio)
    body = follow_export_opml(user=listener, base_url="http://testserver")
    fresh = user_make(email="fresh@example.com")

    result = follow_import_opml(user=fresh, data=body)

    assert result.unmatched == []
    assert followed(fresh) == followed(listener) == {"tiny-talks", "chaos-radio"}


# The pages ----------------------------------------------------------------


@pytest.fixture
def browser_of(settings: Settings) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_export_view_downloads_an_opml_attachment(
    browser_of: Client, listener: User, tiny_talks: Show
) -> None:
    follow_show(user=listener, show=tiny_talks)
    browser_of.force_login(listener)

    response = browser_of.get(reverse("web:library-opml-export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-opml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ondas-shows.opml"'
    root = defusedxml.ElementTree.fromstring(response.content)
    assert [o.get("xmlUrl") for o in root.iter("outline")] == [
        "http://testserver/shows/tiny-talks/feed.xml"
    ]


def test_export_view_asks_visitors_to_sign_in(browser_of: Client) -> None:
    response = browser_of.get(reverse("web:library-opml-export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_import_view_follows_and_lists_what_is_not_in_the_catalog(
    browser_of: Client, listener: User, tiny_talks: Show, chaos_radio: Show
) -> None:
    browser_of.force_login(listener)
    upload = SimpleUploadedFile("subs.opml", POCKET_CASTS, "text/x-opml")

    response = browser_of.post(reverse("web:library-opml-import"), {"opml": upload})

    html = response.content.decode()
    assert response.status_code == 200
    assert "You now follow 2 more shows." in html
    assert "Not in this catalog" in html
    assert "https://audio.example.com/night-trains/feed.rss?format=mp3" in html
    # Listeners may not import feeds, so they get no link to do it.
    assert reverse("web:feed-import") not in html
    assert followed(listener) == {"tiny-talks", "chaos-radio"}


def test_import_view_offers_staff_to_import_the_unmatched_feeds(
    browser_of: Client, tiny_talks: Show
) -> None:
    staff = user_make(email="ops@example.com", role=User.Role.STAFF)
    browser_of.force_login(staff)
    upload = SimpleUploadedFile("subs.opml", ANTENNAPOD, "text/x-opml")

    html = browser_of.post(
        reverse("web:library-opml-import"), {"opml": upload}
    ).content.decode()

    link = (
        reverse("web:feed-import")
        + "?url=https%3A%2F%2Fpodcasts.example.net%2Fgarden-hour%2Frss"
    )
    assert f'href="{link}"' in html


def test_import_view_shows_the_refusal_and_changes_nothing(
    browser_of: Client, listener: User, tiny_talks: Show
) -> None:
    browser_of.force_login(listener)
    upload = SimpleUploadedFile("evil.opml", BILLION_LAUGHS, "text/x-opml")

    response = browser_of.post(reverse("web:library-opml-import"), {"opml": upload})

    assert response.status_code == 400
    assert "The OPML file uses entity declarations" in response.content.decode()
    assert followed(listener) == set()


def test_import_view_refuses_an_upload_over_the_limit_unread(
    browser_of: Client, listener: User, tiny_talks: Show, settings: Settings
) -> None:
    settings.ONDAS_OPML_MAX_BYTES = 1024
    browser_of.force_login(listener)
    padding = b"<!--" + b"x" * 2048 + b"-->"
    upload = SimpleUploadedFile("big.opml", padding + ANTENNAPOD, "text/x-opml")

    response = browser_of.post(reverse("web:library-opml-import"), {"opml": upload})

    assert response.status_code == 400
    html = response.content.decode()
    assert "The OPML file is larger than 1.0\xa0KB. Nothing was imported." in html
    assert followed(listener) == set()


def test_import_view_says_when_none_of_the_shows_are_here(
    browser_of: Client, listener: User
) -> None:
    browser_of.force_login(listener)
    upload = SimpleUploadedFile("subs.opml", ANTENNAPOD, "text/x-opml")

    html = browser_of.post(
        reverse("web:library-opml-import"), {"opml": upload}
    ).content.decode()

    assert "None of the shows in it are on this server." in html
    assert "You now follow" not in html
