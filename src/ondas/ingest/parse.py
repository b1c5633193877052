"""Read an RSS or Atom podcast feed into plain data, behind defusedxml.

podcastparser does the reading (it knows the iTunes, Podlove, Media RSS and
Atom vocabularies and real feeds' quirks); its SAX handler is driven by
defusedxml's expat reader, which refuses entity declarations (billion laughs,
quadratic blow-up) and external references (XXE) before anything expands. A
few tags podcastparser 0.6 does not map — the Podcasting 2.0 namespace at its
current URI, ``lastBuildDate``, channel people, funding, ``podcast:txt``, every transcript
with its type and language, fractional Podlove chapter times — are added by
extending its mapping.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import posixpath
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax import SAXParseException

from defusedxml import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml import sax as defused_sax
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ondas.catalog import sanitize
from ondas.catalog.chapters import ChapterInput, chapters_from_psc
from ondas.catalog.models import BCP47_RE
from ondas.catalog.services import PersonInput, TranscriptInput
from ondas.ingest.enclosure import enclosure_type
from ondas.ingest.errors import (
    FeedEmpty,
    FeedNoAudio,
    FeedTruncated,
    FeedUnparsable,
    FeedXMLForbidden,
)
from ondas.ingest.rss_handler import RSSHandler

# What expat says when the document stops before its root element closes.
_TRUNCATION_MESSAGES = {"no element found", "unclosed token", "unclosed CDATA section"}
MAX_URL = 2000
MAX_EMAIL = 254  # an EmailField's length
_MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class ParsedItem:
    guid: str
    title: str
    description: str  # HTML, not yet sanitised
    published_at: datetime | None
    duration_seconds: float
    season: int | None
    number: int | None
    kind: str
    enclosure_url: str
    enclosure_length: int
    enclosure_type: str
    link: str = ""
    explicit: bool | None = None
    chapters: tuple[ChapterInput, ...] = ()
    chapters_url: str = ""
    transcripts: tuple[TranscriptInput, ...] = ()
    persons: tuple[PersonInput, ...] = ()

    def digest(self) -> str:
        """A stable digest of everything Ondas keeps from the item."""
        payload = json.dumps(
            [
                self.guid,
                self.title,
                self.description,
                self.published_at.isoformat() if self.published_at else None,
                self.duration_seconds,
                self.season,
                self.number,
                self.kind,
                self.enclosure_url,
                self.enclosure_length,
                self.enclosure_type,
                self.link,
                self.explicit,
                [(c.start_seconds, c.title, c.url, c.image) for c in self.chapters],
                self.chapters_url,
                [(t.url, t.mime_type, t.language, t.rel) for t in self.transcripts],
                [(p.name, p.role, p.group, p.href, p.img) for p in self.persons],
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ParsedFeed:
    url: str
    title: str
    description: str
    link: str
    language: str
    author: str
    owner_name: str
    owner_email: str
    explicit: bool
    kind: str
    categories: tuple[str, ...]
    image_url: str
    podcast_guid: str
    locked: bool
    locked_owner: str
    funding_url: str
    funding_text: str
    copyright: str
    new_feed_url: str
    build_date: datetime | None
    persons: tuple[PersonInput, ...]
    items: tuple[ParsedItem, ...]
    skipped_items: int = 0
    # Of those, the items with no usable enclosure: no audio to make one of.
    audioless_items: int = 0
    # The channel's podcast:txt values. Not part of the digest: a code put
    # there to prove control of the feed changes nothing Ondas shows.
    txt: tuple[str, ...] = ()
    content_sha256: str = field(default="", compare=False)

    @property
    def newest_item_at(self) -> datetime | None:
        dates = [i.published_at for i in self.items if i.published_at is not None]
        return max(dates) if dates else None


def clean_url(value: object) -> str:
    """Return ``value`` if it is an http(s) URL Ondas can store, else ""."""
    return sanitize.clean_url(value, max_length=MAX_URL)


def _clean_email(value: object) -> str:
    """``value`` if it is an email address Ondas can store (254 characters), else ""."""
    text = str(value or "").strip()
    if len(text) > MAX_EMAIL:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        return ""
    return text


def _small_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_INT:
        return value
    return None


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, int) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _persons(raw: object) -> tuple[PersonInput, ...]:
    if not isinstance(raw, list):
        return ()
    persons = []
    for entry in raw:
        name = " ".join(str(entry.get("name") or "").split())[:128]
        if name:
            persons.append(
                PersonInput(
                    name=name,
                    role=str(entry.get("role") or "host")[:64],
                    group=str(entry.get("group") or "cast")[:64],
                    href=clean_url(entry.get("href")),
                    img=clean_url(entry.get("img")),
                )
            )
    return tuple(persons)


# What a transcript's file name says of its format, when its type is missing.
_TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}
# More than any feed lists for one episode; a bound on what one item can add.
MAX_TRANSCRIPTS = 20


def _language(value: str) -> str:
    tag = value.strip().replace("_", "-")
    return tag if re.match(BCP47_RE, tag) else ""


def _transcripts(raw: object) -> tuple[TranscriptInput, ...]:
    """Every usable podcast:transcript of an item, once per file, in order."""
    if not isinstance(raw, list):
        return ()
    found: dict[str, TranscriptInput] = {}
    for entry in raw:
        url = clean_url(entry.get("url"))
        if not url or url in found:
            continue
        declared = str(entry.get("type") or "").strip()
        suffix = posixpath.splitext(unquote(urlsplit(url).path))[1].lower()
        found[url] = TranscriptInput(
            url=url,
            mime_type=(declared or _TRANSCRIPT_TYPES.get(suffix, ""))[:64],
            language=_language(str(entry.get("language") or ""))[:35],
            rel=str(entry.get("rel") or "").lower()[:16],
        )
        if len(found) == MAX_TRANSCRIPTS:
            break
    return tuple(found.values())


def _enclosure_type(enclosure: dict[str, Any]) -> str:
    return enclosure_type(
        str(enclosure.get("mime_type") or ""), str(enclosure.get("url") or "")
    )


def _pick_enclosure(enclosures: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first audio or video enclosure (by its type, or its file name's), else
    the first one."""
    for enclosure in enclosures:
        if _enclosure_type(enclosure).startswith(("audio/", "video/")):
            return enclosure
    return enclosures[0] if enclosures else None


def _item(entry: dict[str, Any]) -> ParsedItem | None:
    enclosure = _pick_enclosure(entry.get("enclosures") or [])
    if enclosure is None or not clean_url(enclosure.get("url")):
        return None
    description = entry.get("description_html") or ""
    if not description and entry.get("description"):
        description = html.escape(entry["description"]).replace("\n", "<br>\n")
    length = enclosure.get("file_size")
    return ParsedItem(
        guid=str(entry["guid"]).strip(),
        title=" ".join(str(entry.get("title") or "").split()),
        description=description,
        published_at=_timestamp(entry.get("published")),
        duration_seconds=float(entry.get("total_time") or 0),
        season=_small_int(entry.get("season"))
        or _small_int(entry.get("podcast_season")),
        number=_small_int(entry.get("number"))
        or _small_int(entry.get("podcast_number")),
        kind=entry.get("type") or "full",
        enclosure_url=clean_url(enclosure["url"]),
        enclosure_length=length if isinstance(length, int) and length > 0 else 0,
        # Unknown (""), not made up, when neither the feed nor the file name
        # tells: a task reads the file's first bytes (services.enclosures).
        enclosure_type=_enclosure_type(enclosure),
        link=clean_url(entry.get("link")),
        explicit=entry.get("explicit"),
        chapters=tuple(chapters_from_psc(entry.get("chapters") or [])),
        chapters_url=clean_url(entry.get("chapters_json_url")),
        transcripts=_transcripts(entry.get("transcripts")),
        persons=_persons(entry.get("persons")),
    )


def _content_digest(feed: ParsedFeed) -> str:
    """Digest of what Ondas keeps; ``lastBuildDate`` alone changing is no change."""
    channel = [
        feed.title,
        feed.description,
        feed.link,
        feed.language,
        feed.author,
        feed.owner_name,
        feed.owner_email,
        feed.explicit,
        feed.kind,
        list(feed.categories),
        feed.image_url,
        feed.podcast_guid,
        feed.locked,
        feed.locked_owner,
        feed.funding_url,
        feed.funding_text,
        [(p.name, p.role, p.group, p.href, p.img) for p in feed.persons],
    ]
    digest = hashlib.sha256(json.dumps(channel, ensure_ascii=False).encode())
    for item_digest in sorted(item.digest() for item in feed.items):
        digest.update(item_digest.encode())
    return digest.hexdigest()


# A DOCTYPE with no internal subset ("[...]") declares no entities; old RSS 0.91
# feeds carry Netscape's. defusedxml would refuse its external identifier, so
# it is dropped; any DOCTYPE with a subset is left for defusedxml to judge.
_PLAIN_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s[^\[>]*>")


def _without_plain_doctype(body: bytes) -> bytes:
    head = body[:2048]
    match = _PLAIN_DOCTYPE_RE.search(head)
    if match is None or b"<" in head[: match.start()].replace(b"<?xml", b""):
        return body
    return body[: match.start()] + body[match.end() :]


def feed_parse(body: bytes, *, url: str) -> ParsedFeed:
    """Parse a feed document; raise FeedEmpty, FeedTruncated, FeedXMLForbidden
    or FeedUnparsable. A feed without items is returned: ``feed_items_missing``
    says why there is nothing in it to import."""
    if not body.strip():
        raise FeedEmpty()
    handler = RSSHandler(url, 0)
    try:
        defused_sax.parse(
            io.BytesIO(_without_plain_doctype(body)),
            handler,
            forbid_dtd=False,
            forbid_entities=True,
            forbid_external=True,
        )
    except EntitiesForbidden:
        raise FeedXMLForbidden(construct=_("entity declarations")) from None
    except ExternalReferenceForbidden:
        raise FeedXMLForbidden(construct=_("external references")) from None
    except DTDForbidden:  # pragma: no cover - DTDs are allowed, entities are not
        raise FeedXMLForbidden(construct=_("a DTD")) from None
    except SAXParseException as exc:
        message = exc.getMessage()
        if message in _TRUNCATION_MESSAGES:
            raise FeedTruncated(received=len(body)) from None
        line = exc.getLineNumber()
        raise FeedUnparsable(reason=f"{message} (line {line})") from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        # podcastparser trips over some malformed structures; the feed is bad.
        raise FeedUnparsable(reason=type(exc).__name__) from None
    data: dict[str, Any] = handler.data
    items: list[ParsedItem] = []
    seen: set[str] = set()
    skipped = audioless = 0
    for entry in data.get("episodes", []):
        item = _item(entry)
        if item is None or not item.guid or item.guid in seen:
            skipped += 1
            if item is None:
                audioless += 1
            continue
        seen.add(item.guid)
        items.append(item)
    owner = data.get("itunes_owner") or {}
    categories = tuple(
        " > ".join(part for part in parts if part)
        for parts in data.get("itunes_categories", [])
        if any(parts)
    )
    feed = ParsedFeed(
        url=url,
        title=" ".join(str(data.get("title") or "").split()),
        description=str(data.get("description") or ""),
        link=clean_url(data.get("link")),
        language=str(data.get("language") or ""),
        author=str(data.get("itunes_author") or owner.get("name") or ""),
        owner_name=str(owner.get("name") or ""),
        owner_email=_clean_email(owner.get("email")),
        explicit=bool(data.get("explicit", False)),
        kind=str(data.get("type") or "episodic"),
        categories=categories,
        image_url=clean_url(data.get("cover_url")),
        podcast_guid=str(data.get("podcast_guid") or ""),
        locked=bool(data.get("locked", False)),
        locked_owner=_clean_email(data.get("locked_owner")),
        funding_url=clean_url(data.get("funding_url")),
        funding_text=str(data.get("funding_text") or ""),
        copyright=str(data.get("copyright") or ""),
        new_feed_url=clean_url(data.get("new_url")),
        build_date=_timestamp(data.get("last_build_date") or data.get("pub_date")),
        persons=_persons(data.get("persons")),
        items=tuple(items),
        skipped_items=skipped,
        audioless_items=audioless,
        txt=tuple(str(value)[:4000] for value in data.get("txt", [])),
    )
    return _with_digest(feed)


def feed_items_missing(feed: ParsedFeed) -> FeedEmpty | FeedNoAudio:
    """Why a feed with no episode to import has none: FeedNoAudio when it has
    items but none with audio, else FeedEmpty."""
    if feed.audioless_items:
        return FeedNoAudio(items=feed.audioless_items)
    return FeedEmpty()


def _with_digest(feed: ParsedFeed) -> ParsedFeed:
    return replace(feed, content_sha256=_content_digest(feed))
