"""Feeds to serve in tests: RSS documents built from small item descriptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

START = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakeItem:
    guid: str
    title: str
    published: datetime
    duration: int = 600
    url: str = ""
    length: int = 1_234_567
    mime_type: str = "audio/mpeg"
    description: str = ""
    psc: Sequence[tuple[str, str]] = ()
    chapters_url: str = ""
    transcript_url: str = ""
    season: int | None = None
    number: int | None = None
    persons: Sequence[tuple[str, str]] = field(default_factory=tuple)
    # False: an item with no enclosure at all (a text post, an announcement).
    audio: bool = True

    @property
    def enclosure(self) -> str:
        return self.url or f"https://cdn.example.com/audio/{self.guid}.mp3"


def fake_items(
    count: int, *, start: datetime = START, prefix: str = "ep"
) -> list[FakeItem]:
    """``count`` items, one a day, oldest first."""
    return [
        FakeItem(
            guid=f"{prefix}-{n:05d}",
            title=f"Episode {n}",
            published=start + timedelta(days=n),
            duration=600 + n,
            length=1_000_000 + n,
            description=f"<p>Episode number {n}.</p>",
            season=1,
            number=n + 1,
        )
        for n in range(count)
    ]


def with_title(item: FakeItem, title: str) -> FakeItem:
    return replace(item, title=title)


def _item_xml(item: FakeItem) -> str:
    parts = [
        "<item>",
        f"<title>{escape(item.title)}</title>",
        f'<guid isPermaLink="false">{escape(item.guid)}</guid>',
        f"<pubDate>{format_datetime(item.published)}</pubDate>",
        f"<description>{escape(item.description)}</description>",
        f"<itunes:duration>{item.duration}</itunes:duration>",
    ]
    if item.audio:
        parts.append(
            f'<enclosure url={quoteattr(item.enclosure)} length="{item.length}"'
            f" type={quoteattr(item.mime_type)}/>"
        )
    if item.season is not None:
        parts.append(f"<itunes:season>{item.season}</itunes:season>")
    if item.number is not None:
        parts.append(f"<itunes:episode>{item.number}</itunes:episode>")
    if item.psc:
        parts.append('<psc:chapters version="1.2">')
        parts += [
            f"<psc:chapter start={quoteattr(start)} title={quoteattr(title)}/>"
            for start, title in item.psc
        ]
        parts.append("</psc:chapters>")
    if item.chapters_url:
        parts.append(
            f"<podcast:chapters url={quoteattr(item.chapters_url)}"
            ' type="application/json+chapters"/>'
        )
    if item.transcript_url:
        parts.append(
            f'<podcast:transcript url={quoteattr(item.transcript_url)} type="text/vtt"/>'
        )
    for name, role in item.persons:
        parts.append(
            f"<podcast:person role={quoteattr(role)}>{escape(name)}</podcast:person>"
        )
    parts.append("</item>")
    return "".join(parts)


def rss(
    items: Sequence[FakeItem],
    *,
    title: str = "Chaos Radio",
    build_date: datetime | None = None,
    locked: str | None = None,
    locked_owner: str = "",
    owner_email: str = "owner@example.com",
    language: str = "en-us",
    category: str = '<itunes:category text="Technology"/>',
    extra_channel: str = "",
) -> bytes:
    """An RSS 2.0 podcast feed with iTunes, Podlove and Podcasting 2.0 tags."""
    newest = max((i.published for i in items), default=START)
    channel = [
        f"<title>{escape(title)}</title>",
        "<link>https://chaos.example.com/</link>",
        "<description>A show that exists to be broken.</description>",
        f"<language>{language}</language>",
        f"<lastBuildDate>{format_datetime(build_date or newest)}</lastBuildDate>",
        "<itunes:author>Chaos Crew</itunes:author>",
        f"<itunes:owner><itunes:name>Chaos Crew</itunes:name>"
        f"<itunes:email>{owner_email}</itunes:email></itunes:owner>",
        '<itunes:image href="https://chaos.example.com/art.png"/>',
        "<itunes:explicit>false</itunes:explicit>",
        category,
        extra_channel,
    ]
    if locked is not None:
        owner = f" owner={quoteattr(locked_owner)}" if locked_owner else ""
        channel.append(f"<podcast:locked{owner}>{locked}</podcast:locked>")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        ' xmlns:podcast="https://podcastindex.org/namespace/1.0"'
        ' xmlns:psc="http://podlove.org/simple-chapters"><channel>'
        + "".join(channel)
        + "".join(_item_xml(i) for i in reversed(items))
        + "</channel></rss>\n"
    )
    return body.encode()
