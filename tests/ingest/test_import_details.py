"""What an import keeps of a feed's details, read from feeds as publishers write them
(issue 12, item 10): nothing lost, nothing invented."""

from __future__ import annotations

import logging

import pytest

from ondas.catalog.models import Episode
from ondas.ingest.models import FeedRefresh
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import feed_source_refresh
from tests.support.feeds import FeedServer, Reply

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
