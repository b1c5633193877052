"""Byte ranges and validators for audio delivery, as RFC 9110 defines them.

Only single ranges are honoured. A Range header that is malformed, uses
another unit, or asks for several ranges is ignored and the whole file is
sent (RFC 9110 §14.2 lets a server ignore Range); a well-formed header whose
ranges all start past the end is unsatisfiable (416).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPEC_RE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class RangeNotSatisfiable(Exception):
    """No range in the header overlaps the representation."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """Return the one range to send, or None to send the whole file.

    Raise RangeNotSatisfiable when the header is valid but no range fits.
    """
    if not header:
        return None
    unit, sep, range_set = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs = [s for s in range_set.split(",") if s.strip()]
    if not specs:
        return None
    parsed: list[tuple[str, str]] = []
    for spec in specs:
        match = _SPEC_RE.match(spec)
        if match is None:
            return None
        first, last = match.groups()
        if not first and not last:
            return None
        if first and last and int(last) < int(first):
            return None  # invalid range-spec: the whole header is ignored
        parsed.append((first, last))
    if len(parsed) > 1:
        return None
    first, last = parsed[0]
    if not first:  # suffix range: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable
    end = size - 1 if not last else min(int(last), size - 1)
    return ByteRange(start, end)


def strong_etag_matches(header: str, etag: str) -> bool:
    """Return whether If-Range's entity tag is ``etag`` by strong comparison."""
    return not header.startswith("W/") and header == etag
