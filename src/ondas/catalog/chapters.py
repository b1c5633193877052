"""Chapters from the four places podcasts keep them, as catalog ``ChapterInput``.

- Podcasting 2.0 JSON chapters (``podcast:chapters`` points at the file);
- Podlove Simple Chapters (``psc:chapter`` elements inside the item);
- ID3 ``CHAP`` frames inside an MP3 (read with mutagen);
- clock times written in the description, as people write them:
  ``* 0:00 Intro * 4:00 Virtual memory * …``, glued to the previous title,
  ``…20:00 io_method worker23:00 io_method io_uring 29:30 …``, or after each
  title, ``Intro - 0:00`` — but not a time of day in a sentence ("at 12:30 pm").

Every reader returns chapters sorted by start, with distinct non-negative
starts, ready for ``catalog.services.episode_chapters_replace``.
"""

from __future__ import annotations

import html
import json
import logging
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from ondas.catalog.errors import ChaptersInvalid
from ondas.catalog.sanitize import clean_url
from ondas.core.timefmt import format_clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChapterInput:
    """A chapter as every reader returns it and ``episode_chapters_replace`` takes it."""

    start_seconds: float
    title: str
    url: str = ""
    image: str = ""


MAX_TITLE = 255
# Titles parsed out of prose are cut at a word boundary past this length.
MAX_PROSE_TITLE = 120
MAX_CHAPTERS_JSON_BYTES = 1 << 20


def _clean_url(value: object) -> str:
    return clean_url(value, max_length=1000)


def chapters_normalise(
    chapters: Iterable[ChapterInput], *, duration_seconds: float = 0
) -> list[ChapterInput]:
    """Sort, drop starts outside the episode and repeats, tidy titles and links."""
    result: list[ChapterInput] = []
    seen: set[float] = set()
    for chapter in sorted(chapters, key=lambda c: c.start_seconds):
        start = round(float(chapter.start_seconds), 3)
        if not start >= 0 or start in seen:  # also drops NaN
            continue
        if duration_seconds and start >= duration_seconds:
            continue
        seen.add(start)
        title = " ".join(chapter.title.split())[:MAX_TITLE] or format_clock(start)
        result.append(
            ChapterInput(
                start_seconds=start,
                title=title,
                url=_clean_url(chapter.url),
                image=_clean_url(chapter.image),
            )
        )
    return result


# --- Podcasting 2.0 JSON chapters -------------------------------------------


def chapters_from_json(data: bytes | str) -> list[ChapterInput]:
    """Read a Podcasting 2.0 chapters file; raise ChaptersInvalid if it is not one.

    Chapters marked ``"toc": false`` are silent markers and are left out.
    """
    if len(data) > MAX_CHAPTERS_JSON_BYTES:
        raise ChaptersInvalid(reason="file too large")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ChaptersInvalid(reason=f"not JSON ({exc})") from None
    raw = document.get("chapters") if isinstance(document, dict) else None
    if not isinstance(raw, list):
        raise ChaptersInvalid(reason="no “chapters” list")
    chapters: list[ChapterInput] = []
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("toc") is False:
            continue
        start = entry.get("startTime")
        if isinstance(start, bool) or not isinstance(start, int | float):
            continue
        title = entry.get("title")
        chapters.append(
            ChapterInput(
                start_seconds=float(start),
                title=title if isinstance(title, str) else "",
                url=entry.get("url") or "",
                image=entry.get("img") or "",
            )
        )
    return chapters_normalise(chapters)


class ChapterLike(Protocol):
    @property
    def start_seconds(self) -> float: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def image(self) -> str: ...


def chapters_to_json(chapters: Iterable[ChapterLike]) -> dict[str, object]:
    """Return chapters as a Podcasting 2.0 chapters document."""
    items: list[dict[str, object]] = []
    for chapter in chapters:
        item: dict[str, object] = {
            "startTime": chapter.start_seconds,
            "title": chapter.title,
        }
        if chapter.url:
            item["url"] = chapter.url
        if chapter.image:
            item["img"] = chapter.image
        items.append(item)
    return {"version": "1.2.0", "chapters": items}


# --- Podlove Simple Chapters -------------------------------------------------


def chapters_from_psc(entries: Sequence[Mapping[str, object]]) -> list[ChapterInput]:
    """Read ``psc:chapter`` entries as podcastparser gives them (start, title, href, image)."""
    chapters: list[ChapterInput] = []
    for entry in entries:
        start = entry.get("start")
        title = entry.get("title")
        if isinstance(start, bool) or not isinstance(start, int | float):
            continue
        chapters.append(
            ChapterInput(
                start_seconds=float(start),
                title=title if isinstance(title, str) else "",
                url=str(entry.get("href") or ""),
                image=str(entry.get("image") or ""),
            )
        )
    return chapters_normalise(chapters)


def format_npt(seconds: float) -> str:
    """Return ``seconds`` as Podlove's normal play time, ``HH:MM:SS.mmm``."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


# --- ID3 CHAP frames ----------------------------------------------------------


def chapters_from_id3(fileobj: BinaryIO) -> list[ChapterInput]:
    """Read the ID3v2 ``CHAP`` frames of an MP3; an untagged file has none."""
    from mutagen import MutagenError
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(fileobj)  # type: ignore[no-untyped-call]
    except ID3NoHeaderError:
        return []
    except MutagenError as exc:
        raise ChaptersInvalid(reason=str(exc)) from None
    chapters: list[ChapterInput] = []
    for frame in tags.getall("CHAP"):  # type: ignore[no-untyped-call]
        title = ""
        url = ""
        for sub in frame.sub_frames.values():
            if sub.FrameID == "TIT2" and sub.text:
                title = str(sub.text[0])
            elif sub.FrameID == "WXXX" and not url:
                url = str(sub.url)
        chapters.append(
            ChapterInput(
                start_seconds=frame.start_time / 1000, title=title or "", url=url
            )
        )
    return chapters_normalise(chapters)


# --- Clock times in descriptions ----------------------------------------------

# m:ss, mm:ss, mmm:ss, h:mm:ss, hh:mm:ss — not part of a longer run of digits
# and colons (a date, an address, a ratio "1:2:3:4").
_CLOCK_RE = re.compile(r"(?<![\d:])(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)(?![\d:])")
# What separates one chapter line from the next when they share a line.
_SEPARATOR_RE = re.compile(r"\s*(?:\n|[*•·|▪►▶])\s*")
_URL_RE = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")
_BLOCK_TAG_RE = re.compile(r"<\s*/?\s*(?:br|p|li|div|h[1-6]|tr)\b[^>]*>", re.IGNORECASE)
_LEADING_RE = re.compile(r"^[\s\-–—:|*•·)\].,;>]+")
_TRAILING_RE = re.compile(r"[\s\-–—:|*•·(\[,;<]+$")
# Words that introduce a link after the last chapter ("Summary Links https://…",
# "…ErrorsRCA here https://…"): they are not part of the chapter's title.
_LINK_LABEL_WORDS = frozenset(
    {
        "link",
        "links",
        "here",
        "rca",
        "source",
        "sources",
        "reference",
        "references",
        "resources",
        "notes",
        "read",
        "more",
        "see",
        "also",
        "at",
        "on",
        "and",
    }
)
_GLUE_RE = re.compile(r"(?<=[a-z)])(?=[A-Z])")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z¿¡\"“])")


@dataclass(frozen=True)
class _Mark:
    value: int  # seconds
    start: int  # where the marker begins in the text (the title before ends here)
    end: int  # where the marker ends (the title after begins here)
    text: str


def _clock_value(hours: str | None, minutes: str, seconds: str) -> int | None:
    if hours is not None and int(minutes) >= 60:
        return None
    return (int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)


def _candidates(match: re.Match[str], text: str) -> list[_Mark]:
    """The readings of one clock time; a glued one may have taken extra digits."""
    hours, minutes, seconds = match.group(1, 2, 3)
    start, end = match.span()
    marks: list[_Mark] = []
    value = _clock_value(hours, minutes, seconds)
    if value is not None:
        marks.append(_Mark(value, start, end, match.group(0)))
    # "Example13:50" is 13:50, but "Part 213:50" may be 13:50 too: when glued to
    # a word or another number, also read it without its first digit.
    lead = hours if hours is not None else minutes
    if len(lead) >= 2 and start > 0 and not text[start - 1].isspace():
        if hours is not None:
            alt = _clock_value(hours[1:], minutes, seconds)
        else:
            alt = _clock_value(None, minutes[1:], seconds)
        if alt is not None:
            marks.append(_Mark(alt, start + 1, end, match.group(0)[1:]))
    return marks


def _split_digit_before(text: str, match: re.Match[str], prev: int) -> _Mark | None:
    """Read "3 1:30" as 31:30 when a stray space split the minutes."""
    before = re.search(r"(?<![\d:])(\d{1,2}) $", text[: match.start()])
    if before is None or match.group(1) is not None:
        return None
    minutes = before.group(1) + match.group(2)
    if len(minutes) > 3:
        return None
    value = _clock_value(None, minutes, match.group(3))
    if value is None or value <= prev:
        return None
    return _Mark(value, before.start(), match.end(), f"{minutes}:{match.group(3)}")


def _strip_link_label(title: str) -> str:
    words = title.split()
    while words and words[-1].strip(":,.").lower() in _LINK_LABEL_WORDS:
        words.pop()
    if words:
        parts = _GLUE_RE.split(words[-1])
        if len(parts) > 1 and parts[-1].strip(":,.").lower() in _LINK_LABEL_WORDS:
            words[-1] = "".join(parts[:-1])
    return " ".join(words)


def _shorten(title: str) -> str:
    if len(title) > MAX_PROSE_TITLE:
        title = title[:MAX_PROSE_TITLE].rsplit(" ", 1)[0] + "…"
    return title


def _clean_title(segment: str, *, last: bool) -> str:
    title = _LEADING_RE.sub("", segment)
    title = _SEPARATOR_RE.split(title, maxsplit=1)[0]
    url = _URL_RE.search(title)
    if url is not None:
        before = title[: url.start()]
        title = _strip_link_label(before) if before[-1:].isspace() else before
    if last:
        title = _SENTENCE_END_RE.split(title, maxsplit=1)[0]
    return _shorten(_TRAILING_RE.sub("", " ".join(title.split())))


def _title_before(before: str) -> str:
    """The title of a "Title - 0:00" line: what precedes the time."""
    title = _LEADING_RE.sub("", " ".join(before.split()))
    return _shorten(_TRAILING_RE.sub("", title))


def description_to_text(description: str) -> str:
    """Return an HTML description as plain text, one line per block."""
    text = _BLOCK_TAG_RE.sub("\n", description)
    return html.unescape(_TAG_RE.sub("", text))


# A clock time that tells the time of day is prose, not a chapter: "at 12:30 pm
# we met", "from 9:30 until 11:00", "a las 20:30 h", "12:30h", "9:00 UTC".
_DAYTIME_AFTER_RE = re.compile(
    r"(?:\s?(?i:[ap]\.?\s?m)\b|h\b|\s?(?i:hrs?|uhr|o['’]clock)\b"
    r"|\s(?:UTC|GMT|CES?T|[ECMP][SD]T)\b)"
)
_DAYTIME_WORDS = frozenset(
    {
        "at",
        "around",
        "about",
        "by",
        "from",
        "until",
        "till",
        "to",
        "before",
        "after",
        "since",
        "between",
        "approx",
        "approximately",
        "circa",
        "ca",
        "las",  # "a las 12:30", "desde las 9:00"
        "desde",
        "hasta",
        "um",
        "ab",
        "bis",
        "vers",
        "à",
    }
)
_WORD_BEFORE_RE = re.compile(r"\b(\w+)\s+$")
# Where a chapter line or bulleted segment begins and ends.
_BOUNDARY_RE = re.compile(r"[\n*•·|▪►▶]")
_LEAD_JUNK = " \t\r-–—([{>"
_TRAIL_JUNK = " \t\r)]}.,;:-–—"


def _daytime(text: str, match: re.Match[str]) -> bool:
    """Whether this clock time is a time of day in a sentence."""
    if _DAYTIME_AFTER_RE.match(text, match.end()):
        return True
    word = _WORD_BEFORE_RE.search(text, max(0, match.start() - 24), match.start())
    return word is not None and word.group(1).lower() in _DAYTIME_WORDS


class _Segments:
    """The line (or bulleted segment) around each clock time of a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.bounds = [m.start() for m in _BOUNDARY_RE.finditer(text)]

    def around(self, start: int, end: int) -> tuple[str, str]:
        """The segment's text before ``start`` and after ``end``."""
        i = bisect_left(self.bounds, start)
        low = self.bounds[i - 1] + 1 if i else 0
        j = bisect_left(self.bounds, end)
        high = self.bounds[j] if j < len(self.bounds) else len(self.text)
        return self.text[low:start], self.text[end:high]

    def leads(self, match: re.Match[str]) -> bool:
        """The time opens its line ("0:00 Intro", "(05:10) Middle", "- 4:00 …");
        a first time may follow a label ("Chapters: 0:00 Intro")."""
        before = self.around(*match.span())[0].strip(_LEAD_JUNK)
        zero = _clock_value(*match.group(1, 2, 3)) == 0
        return not before or (zero and before.endswith(":"))

    def trails(self, match: re.Match[str]) -> bool:
        """The time closes its line, after a title ("Intro - 0:00")."""
        before, after = self.around(*match.span())
        return not after.strip(_TRAIL_JUNK) and any(c.isalnum() for c in before)


def _sequence(text: str, matches: Iterable[re.Match[str]]) -> list[_Mark]:
    """From the first time that reads 0:00, each later time that moves forward."""
    marks: list[_Mark] = []
    for match in matches:
        candidates = _candidates(match, text)
        if marks and candidates and candidates[0].start < marks[-1].end:
            continue  # overlaps the previous marker (its extra digits)
        if not marks:
            zero = [c for c in candidates if c.value == 0]
            if zero:
                marks.append(zero[0])
            continue
        prev = marks[-1].value
        forward = [c for c in candidates if c.value > prev]
        if forward:
            marks.append(forward[0])
            continue
        joined = _split_digit_before(text, match, prev)
        if joined is not None and joined.start >= marks[-1].end:
            marks.append(joined)
    return marks


def chapters_from_description(
    description: str, *, duration_seconds: float = 0, min_chapters: int = 2
) -> list[ChapterInput]:
    """Find chapter times written in a description (HTML or plain text).

    The list starts at the first time that reads 0:00 and takes each later
    time that moves forward; a time that goes back is part of a title, and so
    is a time of day ("at 12:30 pm"). When the times open their lines, a time
    further along a line is part of its title; when they close their lines
    ("Intro - 0:00"), each title is the text before its time. Fewer than
    ``min_chapters`` times, or none at 0:00, means no chapters. Never raises.
    """
    text = description_to_text(description)
    segments = _Segments(text)
    clocks = [m for m in _CLOCK_RE.finditer(text) if not _daytime(text, m)]
    titles_first = False
    marks = _sequence(text, (m for m in clocks if segments.leads(m)))
    if len(marks) < min_chapters:
        marks = _sequence(text, (m for m in clocks if segments.trails(m)))
        titles_first = len(marks) >= min_chapters
    if len(marks) < min_chapters:
        marks = _sequence(text, clocks)  # times run inline, glued or spaced
    if len(marks) < min_chapters:
        return []
    chapters = []
    for index, mark in enumerate(marks):
        if titles_first:
            title = _title_before(segments.around(mark.start, mark.end)[0])
        else:
            last = index == len(marks) - 1
            segment = text[mark.end : None if last else marks[index + 1].start]
            title = _clean_title(segment, last=last)
        chapters.append(
            ChapterInput(start_seconds=float(mark.value), title=title or mark.text)
        )
    return chapters_normalise(chapters, duration_seconds=duration_seconds)
