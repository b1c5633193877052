"""Reading feeds: the tags Ondas keeps, and the XML it refuses to read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.services import TranscriptInput
from ondas.core.errors import ErrorCode
from ondas.ingest.errors import (
    FeedEmpty,
    FeedError,
    FeedTruncated,
    FeedUnparsable,
    FeedXMLForbidden,
)
from ondas.ingest.parse import feed_parse
from ondas.ingest.rss_handler import parse_npt
from tests.ingest.factories import FakeItem, fake_items, rss

URL = "https://chaos.example.com/feed.xml"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title></channel></rss>"""

EXTERNAL_PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<rss version="2.0"><channel><title>x</title></channel></rss>"""


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_PARAMETER_ENTITY]
)
def test_feed_parse_refuses_entity_attacks(body: bytes) -> None:
    with pytest.raises(FeedXMLForbidden) as exc_info:
        feed_parse(body, url=URL)
    assert exc_info.value.code == ErrorCode.FEED_XML_FORBIDDEN
    assert "refuses to read" in exc_info.value.message


def test_feed_parse_allows_a_plain_doctype() -> None:
    body = rss(fake_items(1)).replace(
        b"<rss ",
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss ',
        1,
    )
    assert len(feed_parse(body, url=URL).items) == 1


@pytest.mark.parametrize(
    ("body", "error", "code"),
    [
        (b"", FeedEmpty, ErrorCode.FEED_EMPTY),
        (b"  \n ", FeedEmpty, ErrorCode.FEED_EMPTY),
        (rss(fake_items(3))[:-200], FeedTruncated, ErrorCode.FEED_TRUNCATED),
        (b"<html><body>Moved</body></html>", FeedUnparsable, ErrorCode.FEED_UNPARSABLE),
        (
            b"<rss><channel><title>x</title></chanel></rss>",
            FeedUnparsable,
            ErrorCode.FEED_UNPARSABLE,
        ),
        (b'{"json": true}', FeedUnparsable, ErrorCode.FEED_UNPARSABLE),
    ],
)
def test_feed_parse_bad_bodies(
    body: bytes, error: type[FeedError], code: ErrorCode
) -> None:
    with pytest.raises(error) as exc_info:
        feed_parse(body, url=URL)
    assert exc_info.value.code == code


def test_feed_parse_reads_itunes_podlove_and_podcasting_20_tags() -> None:
    item = FakeItem(
        guid="g1",
        title="  Spaced   title ",
        published=datetime(2025, 5, 1, 8, 30, tzinfo=UTC),
        duration=3723,
        description="<p>Hi</p>",
        psc=[("00:00:00.000", "Start"), ("00:01:02.500", "Later")],
        chapters_url="https://chaos.example.com/ch.json",
        transcript_url="https://chaos.example.com/t.vtt",
        season=2,
        number=7,
        persons=[("Guest Person", "guest")],
    )
    body = rss(
        [item],
        locked="yes",
        locked_owner="Owner@Example.com",
        extra_channel=(
            "<podcast:guid>917393e3-1b1e-5cef-ace4-edaa54e1f810</podcast:guid>"
            '<podcast:funding url="https://chaos.example.com/give">Give</podcast:funding>'
            '<podcast:person role="host" href="https://chaos.example.com/h">Host One</podcast:person>'
        ),
        category='<itunes:category text="News"><itunes:category text="Tech News"/></itunes:category>',
    )
    feed = feed_parse(body, url=URL)
    assert (feed.title, feed.language, feed.author) == (
        "Chaos Radio",
        "en-us",
        "Chaos Crew",
    )
    assert feed.categories == ("News > Tech News",)
    assert feed.locked is True and feed.locked_owner == "Owner@Example.com"
    assert feed.owner_email == "owner@example.com"
    assert feed.podcast_guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert (feed.funding_url, feed.funding_text) == (
        "https://chaos.example.com/give",
        "Give",
    )
    assert [p.name for p in feed.persons] == ["Host One"]
    assert feed.build_date == item.published
    (parsed,) = feed.items
    assert parsed.title == "Spaced title"
    assert parsed.published_at == item.published
    assert parsed.duration_seconds == 3723
    assert (parsed.season, parsed.number) == (2, 7)
    assert parsed.enclosure_url == "https://cdn.example.com/audio/g1.mp3"
    assert (parsed.enclosure_length, parsed.enclosure_type) == (1_234_567, "audio/mpeg")
    assert parsed.chapters == (ChapterInput(0.0, "Start"), ChapterInput(62.5, "Later"))
    assert parsed.chapters_url == "https://chaos.example.com/ch.json"
    assert parsed.transcripts == (
        TranscriptInput(url="https://chaos.example.com/t.vtt", mime_type="text/vtt"),
    )
    assert [(p.name, p.role) for p in parsed.persons] == [("Guest Person", "guest")]


def test_feed_parse_skips_items_without_a_usable_enclosure() -> None:
    good = FakeItem(guid="ok", title="ok", published=datetime(2025, 1, 1, tzinfo=UTC))
    bad = FakeItem(
        guid="bad",
        title="bad",
        published=datetime(2025, 1, 2, tzinfo=UTC),
        url="file:///etc/passwd",
    )
    feed = feed_parse(rss([good, bad]), url=URL)
    assert [i.guid for i in feed.items] == ["ok"]
    assert feed.skipped_items == 1


def test_feed_parse_reads_atom() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Atom Cast</title>
  <updated>2025-06-02T10:00:00Z</updated>
  <author><name>Atom Author</name></author>
  <entry>
    <id>urn:uuid:1</id>
    <title>First</title>
    <published>2025-06-01T10:00:00Z</published>
    <link rel="enclosure" href="https://ex.com/1.mp3" length="1000" type="audio/mpeg"/>
    <content type="html">&lt;p&gt;0:00 A 1:00 B&lt;/p&gt;</content>
  </entry>
</feed>"""
    feed = feed_parse(body, url=URL)
    assert (feed.title, feed.author) == ("Atom Cast", "Atom Author")
    assert feed.build_date == datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
    (item,) = feed.items
    assert (item.guid, item.enclosure_url, item.enclosure_length) == (
        "urn:uuid:1",
        "https://ex.com/1.mp3",
        1000,
    )


def test_feed_digest_ignores_build_date_but_not_content() -> None:
    items = fake_items(3)
    a = feed_parse(rss(items, build_date=datetime(2025, 1, 1, tzinfo=UTC)), url=URL)
    b = feed_parse(rss(items, build_date=datetime(2026, 1, 1, tzinfo=UTC)), url=URL)
    c = feed_parse(rss(items[:2]), url=URL)
    assert a.content_sha256 == b.content_sha256 != c.content_sha256


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:01:02.500", 62.5), ("1:02", 62.0), ("75", 75.0), ("x", None), ("-1", None)],
)
def test_parse_npt(text: str, seconds: float | None) -> None:
    assert parse_npt(text) == seconds


def test_podcast_txt_values_are_kept_but_change_no_digest() -> None:
    """A verification code in podcast:txt is read, and is not content."""
    items = fake_items(2)
    plain = feed_parse(rss(items), url="https://x.example/feed")
    extra = (
        '<podcast:txt purpose="verify">ondas-claim-abc</podcast:txt>'
        "<podcast:txt> second note </podcast:txt>"
    )
    with_txt = feed_parse(rss(items, extra_channel=extra), url="https://x.example/feed")
    assert with_txt.txt == ("ondas-claim-abc", "second note")
    assert plain.txt == ()
    assert with_txt.content_sha256 == plain.content_sha256
