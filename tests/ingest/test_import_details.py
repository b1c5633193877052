"""What an import keeps of a feed's details, read from feeds as publishers write them
(issue 12, item 10): nothing lost, nothing invented."""

from __future__ import annotations

import logging
import re
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ondas.catalog.models import Episode, FeedProfile, Transcript
from ondas.catalog.transcripts import transcript_preferred
from ondas.ingest.models import FeedRefresh
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import feed_source_refresh
from tests.accounts.factories import user_make
from tests.support.feeds import FeedServer, Reply
from tests.support.private_feeds import exclusive_plan_make, key_make, subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

CHANNEL = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0"
     xmlns:psc="http://podlove.org/simple-chapters"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Tramway Talk</title>
  <link>https://tramway.example.org/</link>
  <description>Stories from the night shift.</description>
  <language>en</language>
  <lastBuildDate>Mon, 03 Mar 2025 06:00:00 GMT</lastBuildDate>
  <itunes:author>Marta Silva</itunes:author>
  <itunes:owner>
    <itunes:name>Tramway Media</itunes:name>
    <itunes:email>hello@tramway.example.org</itunes:email>
  </itunes:owner>
  <itunes:category text="Society &amp; Culture"/>
  {channel}
  {items}
</channel>
</rss>
"""


def _feed(items: str, channel: str = "") -> bytes:
    return CHANNEL.format(items=items, channel=channel).encode()


def _item(guid: str, body: str, *, enclosure: str | None = None) -> str:
    if enclosure is None:
        enclosure = (
            f'<enclosure url="https://media.tramway.example.org/{guid}.mp3"'
            ' length="31337000" type="audio/mpeg"/>'
        )
    return f"""
  <item>
    <title>Episode {guid}</title>
    <guid isPermaLink="false">tramway-{guid}</guid>
    <pubDate>Mon, 03 Mar 2025 05:00:00 GMT</pubDate>
    {enclosure}
    {body}
  </item>"""


def _chapters(guid: str) -> list[tuple[float, str]]:
    episode = Episode.objects.get(guid=f"tramway-{guid}")
    return list(episode.chapters.values_list("start_seconds", "title"))


def test_import_pairs_each_title_with_the_time_after_it(
    feed_server: FeedServer,
) -> None:
    """A "Title - 0:00" list keeps its titles at their own times; a time of day
    in the notes is no chapter."""
    notes = (
        "<content:encoded><![CDATA[<p>We ride the last tram of the night; at"
        " 12:30 am we met the driver.</p><p>Chapters:</p><ul>"
        "<li>Cold open - 0:00</li><li>The depot - 3:15</li>"
        "<li>Meeting Joana - 17:42</li><li>Letters - 41:05</li></ul>]]>"
        "</content:encoded><itunes:duration>52:10</itunes:duration>"
    )
    url = feed_server.serve("/feed.xml", Reply(_feed(_item("1", notes))))

    feed_source_import(url=url)

    assert _chapters("1") == [
        (0.0, "Cold open"),
        (195.0, "The depot"),
        (1062.0, "Meeting Joana"),
        (2465.0, "Letters"),
    ]


PSC_PAST_DURATION = """
    <itunes:duration>00:30:00</itunes:duration>
    <psc:chapters version="1.2">
      <psc:chapter start="00:00:00" title="Intro"/>
      <psc:chapter start="00:12:30" title="The interview"/>
      <psc:chapter start="00:31:10" title="Listener mail"/>
      <psc:chapter start="00:44:00.500" title="Outtakes"/>
    </psc:chapters>"""


def test_import_keeps_chapters_past_a_short_duration_and_logs_it(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Chapters after a too-short ``itunes:duration`` are kept, and the log says so."""
    url = feed_server.serve("/feed.xml", Reply(_feed(_item("2", PSC_PAST_DURATION))))

    with caplog.at_level(logging.WARNING, logger="ondas.ingest"):
        source = feed_source_import(url=url)

    assert _chapters("2") == [
        (0.0, "Intro"),
        (750.0, "The interview"),
        (1870.0, "Listener mail"),
        (2640.5, "Outtakes"),
    ]
    assert Episode.objects.get(guid="tramway-2").duration_seconds == 1800
    assert [r.getMessage() for r in caplog.records] == [
        f"Feed {source.pk}: 1 episode(s) have chapters past their declared "
        "duration, kept (first: tramway-2, duration 1800.0s, a chapter at 2640.5s)"
    ]

    # A refresh that changes the item writes its chapters again, still all of them.
    changed = PSC_PAST_DURATION.replace("Outtakes", "Bloopers")
    feed_server.serve("/feed.xml", Reply(_feed(_item("2", changed))))
    row = feed_source_refresh(source=source)
    assert (row.outcome, row.updated) == (FeedRefresh.Outcome.APPLIED, 1)
    assert _chapters("2")[-1] == (2640.5, "Bloopers")


TRANSCRIPTS = """
    <podcast:transcript url="https://media.tramway.example.org/3.en.vtt"
                        type="text/vtt" language="en" rel="captions"/>
    <podcast:transcript url="https://media.tramway.example.org/3.pt.srt"
                        type="application/x-subrip" language="pt-BR"/>
    <podcast:transcript url="https://media.tramway.example.org/3.html"
                        type="text/html"/>
    <podcast:transcript url="https://media.tramway.example.org/3.es.json"
                        language="es"/>
    <podcast:transcript url="https://media.tramway.example.org/3.en.vtt"
                        type="text/vtt" language="en"/>
    <podcast:transcript url="file:///etc/passwd" type="text/plain"/>
    <podcast:transcript url="https://media.tramway.example.org/3.txt"
                        type="text/plain" language="not a language"/>"""
KEPT = [
    ("https://media.tramway.example.org/3.en.vtt", "text/vtt", "en", "captions"),
    ("https://media.tramway.example.org/3.pt.srt", "application/x-subrip", "pt-BR", ""),
    ("https://media.tramway.example.org/3.html", "text/html", "", ""),
    ("https://media.tramway.example.org/3.es.json", "application/json", "es", ""),
    ("https://media.tramway.example.org/3.txt", "text/plain", "", ""),
]


def _transcripts(guid: str) -> list[tuple[str, str, str, str]]:
    episode = Episode.objects.get(guid=f"tramway-{guid}")
    return list(episode.transcripts.values_list("url", "mime_type", "language", "rel"))


def _feed_transcripts(body: bytes) -> list[dict[str, str]]:
    root = ElementTree.fromstring(body)
    return [
        dict(t.attrib)
        for t in root.iter("{https://podcastindex.org/namespace/1.0}transcript")
    ]


REPUBLISHED = [
    {
        "url": "https://media.tramway.example.org/3.en.vtt",
        "type": "text/vtt",
        "language": "en",
        "rel": "captions",
    },
    {
        "url": "https://media.tramway.example.org/3.pt.srt",
        "type": "application/x-subrip",
        "language": "pt-BR",
    },
    {"url": "https://media.tramway.example.org/3.html", "type": "text/html"},
    {
        "url": "https://media.tramway.example.org/3.es.json",
        "type": "application/json",
        "language": "es",
    },
    {"url": "https://media.tramway.example.org/3.txt", "type": "text/plain"},
]


def test_import_keeps_every_transcript_and_feeds_republish_them(
    feed_server: FeedServer, client: Client
) -> None:
    """Each podcast:transcript is kept once, with its language and type (a missing
    type read from the file name; an unusable address or language dropped)."""
    url = feed_server.serve("/feed.xml", Reply(_feed(_item("3", TRANSCRIPTS))))

    source = feed_source_import(url=url)

    assert _transcripts("3") == KEPT
    public = client.get(reverse("feeds:show-feed", args=[source.show.slug]))
    assert _feed_transcripts(public.getvalue()) == REPUBLISHED
    listener = user_make(email="oyente@example.com")
    subscribe(listener, exclusive_plan_make())
    _key, token = key_make(listener, source.show)
    private = client.get(reverse("feeds:private-feed", args=[token, source.show.slug]))
    assert private.status_code == 200
    assert _feed_transcripts(private.getvalue()) == REPUBLISHED

    # A refresh follows the publisher: one dropped, one added, in the feed's order.
    changed = TRANSCRIPTS.replace("3.pt.srt", "3.fr.srt").replace("pt-BR", "fr")
    feed_server.serve("/feed.xml", Reply(_feed(_item("3", changed))))
    row = feed_source_refresh(source=source)
    assert (row.outcome, row.updated) == (FeedRefresh.Outcome.APPLIED, 1)
    assert [t[:3] for t in _transcripts("3")][1] == (
        "https://media.tramway.example.org/3.fr.srt",
        "application/x-subrip",
        "fr",
    )
    assert len(_transcripts("3")) == len(KEPT)


@pytest.mark.parametrize(
    ("page_language", "expected"),
    [
        # The HTML names no language: it is in the show's (en), and reads best.
        ("en", "https://media.tramway.example.org/3.html"),
        # The reader's language comes before a better format: the JSON.
        ("es", "https://media.tramway.example.org/3.es.json"),
    ],
)
def test_episode_page_offers_the_transcript_in_the_readers_language(
    feed_server: FeedServer, client: Client, page_language: str, expected: str
) -> None:
    url = feed_server.serve("/feed.xml", Reply(_feed(_item("3", TRANSCRIPTS))))
    show = feed_source_import(url=url).show
    episode = Episode.objects.get(guid="tramway-3")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = page_language

    page = client.get(reverse("web:episode-detail", args=[show.slug, episode.slug]))

    assert page.status_code == 200
    links = re.findall(r'<p class="episode__transcript"><a href="([^"]+)"', page.text)
    assert links == [expected]


def test_transcript_preferred_falls_back_to_the_shows_language_and_format() -> None:
    """A transcript that names no language is in the show's; among those, the
    format a person reads best; with none in either language, the first."""
    html = Transcript(url="https://t.example/a.html", mime_type="text/html", position=2)
    vtt = Transcript(url="https://t.example/a.vtt", mime_type="text/vtt", position=0)
    german = Transcript(
        url="https://t.example/de.txt",
        mime_type="text/plain",
        language="de",
        position=1,
    )
    found = transcript_preferred([vtt, german, html], language="fr", show_language="en")
    assert found is html
    found = transcript_preferred([german], language="fr", show_language="en")
    assert found is german
    found = transcript_preferred([vtt, german], language="de-AT", show_language="en")
    assert found is german
    assert transcript_preferred([], language="fr", show_language="en") is None


def _lock_owner(body: bytes) -> str | None:
    lock = ElementTree.fromstring(body).find(
        "channel/{https://podcastindex.org/namespace/1.0}locked"
    )
    assert lock is not None
    return lock.get("owner")


@pytest.mark.parametrize(
    ("lock", "owner"),
    [
        # The lock names its own owner: that one, not the iTunes owner.
        (
            '<podcast:locked owner="rights@label.example.com">no</podcast:locked>',
            "rights@label.example.com",
        ),
        # No owner on the lock (or no address): the iTunes owner stands in.
        ("<podcast:locked>no</podcast:locked>", "hello@tramway.example.org"),
        (
            '<podcast:locked owner="the label">no</podcast:locked>',
            "hello@tramway.example.org",
        ),
    ],
)
def test_import_republishes_the_locks_own_owner(
    feed_server: FeedServer, client: Client, lock: str, owner: str
) -> None:
    url = feed_server.serve("/feed.xml", Reply(_feed(_item("4", ""), channel=lock)))

    show = feed_source_import(url=url).show

    public = client.get(reverse("feeds:show-feed", args=[show.slug]))
    assert _lock_owner(public.getvalue()) == owner
    assert FeedProfile.objects.get(show=show).owner_email == "hello@tramway.example.org"


def test_refresh_follows_a_change_of_the_locks_owner_alone(
    feed_server: FeedServer, client: Client
) -> None:
    lock = '<podcast:locked owner="a@label.example.com">no</podcast:locked>'
    url = feed_server.serve("/feed.xml", Reply(_feed(_item("4", ""), channel=lock)))
    source = feed_source_import(url=url)
    moved = lock.replace("a@label", "b@label")
    feed_server.serve("/feed.xml", Reply(_feed(_item("4", ""), channel=moved)))

    row = feed_source_refresh(source=source)

    assert row.outcome == FeedRefresh.Outcome.APPLIED
    assert FeedProfile.objects.get(show=source.show).locked_owner == (
        "b@label.example.com"
    )
    public = client.get(reverse("feeds:show-feed", args=[source.show.slug]))
    assert _lock_owner(public.getvalue()) == "b@label.example.com"
