"""Reading an uploaded transcript: WebVTT or SRT, checked cue by cue.

Written here rather than taken from webvtt-py (0.6.0), which was tried: it
skips a cue whose times it cannot read without a word, accepts a cue that
ends before it starts, and names no line in its errors; a creator needs to
be told which line to fix. So this reader is small and strict: the header
(WebVTT), every cue's time line, ends after starts, starts in order, and
UTF-8 text. Cue settings and markup are kept as they are: the file is
stored as uploaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ondas.catalog.errors import TranscriptInvalid

VTT_TYPE = "text/vtt"
SRT_TYPE = "application/x-subrip"

_VTT_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)[,.](\d{3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t].*)?$")
_SRT_TIMING = re.compile(rf"^{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}[ \t]*$")


@dataclass(frozen=True)
class Cue:
    line: int  # of its time line, from 1
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class TranscriptFile:
    mime_type: str
    extension: str
    cues: list[Cue]


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return (
        int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000
    )


def _decode(data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TranscriptInvalid(line=line, reason=_("the text is not UTF-8.")) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise TranscriptInvalid(line=line, reason=_("the file is not text."))
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks(lines: list[str], first: int) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines from index ``first``, each with its first line's
    number (from 1)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for index in range(first, len(lines)):
        line = lines[index]
        if line.strip():
            if not current:
                start = index + 1
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _cue(line: int, match: re.Match[str], text: list[str], previous: Cue | None) -> Cue:
    groups = match.groups()
    start, end = _seconds(*groups[:4]), _seconds(*groups[4:])
    if end <= start:
        raise TranscriptInvalid(line=line, reason=_("the cue ends before it starts."))
    if previous is not None and start < previous.start:
        raise TranscriptInvalid(
            line=line, reason=_("the cue starts before the one above it.")
        )
    return Cue(line, start, end, "\n".join(text))


def _timing_error(line: int, found: str) -> TranscriptInvalid:
    return TranscriptInvalid(
        line=line,
        reason=_("“%(text)s” is not a cue's time line (start --> end).")
        % {"text": found[:80]},
    )


def _webvtt(lines: list[str]) -> list[Cue]:
    header = lines[0]
    if not (header == "WEBVTT" or header[:7] in ("WEBVTT ", "WEBVTT\t")):
        raise TranscriptInvalid(
            line=1, reason=_("a WebVTT file starts with the line “WEBVTT”.")
        )
    cues: list[Cue] = []
    for number, block in _blocks(lines, 1):
        if number == 2:  # the header's own lines, up to the first blank one
            if any("-->" in line for line in block):
                raise TranscriptInvalid(
                    line=2, reason=_("a blank line must follow the header.")
                )
            continue
        if block[0].split(maxsplit=1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        offset = 0 if "-->" in block[0] else 1  # an optional cue identifier
        if offset >= len(block):
            raise _timing_error(number, block[0])
        match = _VTT_TIMING.match(block[offset].strip())
        if match is None:
            raise _timing_error(number + offset, block[offset])
        previous = cues[-1] if cues else None
        cues.append(_cue(number + offset, match, block[offset + 1 :], previous))
    return cues


def _srt(lines: list[str]) -> list[Cue]:
    cues: list[Cue] = []
    for number, block in _blocks(lines, 0):
        if not block[0].strip().isdigit():
            raise TranscriptInvalid(
                line=number,
                reason=_("“%(text)s” is not a cue number.") % {"text": block[0][:80]},
            )
        if len(block) < 2:
            raise _timing_error(number + 1, "")
        match = _SRT_TIMING.match(block[1].strip())
        if match is None:
            raise _timing_error(number + 1, block[1])
        if len(block) < 3:
            raise TranscriptInvalid(line=number + 2, reason=_("the cue has no text."))
        previous = cues[-1] if cues else None
        cues.append(_cue(number + 1, match, block[2:], previous))
    return cues


def transcript_file_read(
    data: bytes, *, max_bytes: int, name: str = ""
) -> TranscriptFile:
    """Read ``data`` as WebVTT (its first line, or a ``.vtt`` name, says so) or
    else SRT; raise TranscriptInvalid naming the line to fix."""
    if len(data) > max_bytes:
        raise TranscriptInvalid(
            line=1,
            reason=_("the file is larger than %(size)s.")
            % {"size": filesizeformat(max_bytes)},
        )
    lines = _decode(data)
    if not any(line.strip() for line in lines):
        raise TranscriptInvalid(line=1, reason=_("the file is empty."))
    if lines[0].startswith("WEBVTT") or name.lower().endswith(".vtt"):
        cues, found = _webvtt(lines), TranscriptFile(VTT_TYPE, "vtt", [])
    else:
        cues, found = _srt(lines), TranscriptFile(SRT_TYPE, "srt", [])
    if not cues:
        raise TranscriptInvalid(line=len(lines), reason=_("the file has no cues."))
    return TranscriptFile(found.mime_type, found.extension, cues)
