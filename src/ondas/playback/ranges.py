"""Byte ranges and validators for audio delivery, as RFC 9110 defines them.

Only single ranges are honoured. A Range header that is malformed, uses
another unit, or asks for several ranges is ignored and the whole file is
sent (RFC 9110 §14.2 lets a server ignore Range); a well-formed header whose
ranges all start past the end is unsatisfiable (416).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ASCII digits only (``\d`` would take "٣" too), blanks only as OWS is defined.
_SPEC_RE = re.compile(r"[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*")
# What players send: one range from a position, to a position or the end. Read
# at once, with the same outcome as the general rule below; short enough
# for int().
_PLAIN_RE = re.compile(r"bytes=([0-9]{1,18})-([0-9]{0,18})")


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


def _position(digits: str, *, ceiling: int) -> int:
    """Return the decimal ``digits`` as an int, or ``ceiling`` if that is less.

    ``int()`` refuses strings of more than 4,300 digits and a header can hold
    more; a number longer than the ceiling's is bigger, so is never converted.
    """
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(ceiling)):
        return ceiling
    return min(int(digits), ceiling)


def _less(a: str, b: str) -> bool:
    """Return whether decimal ``a`` is smaller than ``b``, at any length."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) < (len(b), b)


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """Return the one range to send, or None to send the whole file.

    Raise RangeNotSatisfiable when the header is valid but no range fits.
    """
    if not header:
        return None
    if plain := _PLAIN_RE.fullmatch(header):
        start, last = int(plain[1]), plain[2]
        if last and int(last) < start:
            return None  # invalid range-spec: the header is ignored
        if start >= size:
            raise RangeNotSatisfiable
        return ByteRange(start, min(int(last), size - 1) if last else size - 1)
    return parse_range_general(header, size)


def parse_range_general(header: str, size: int) -> ByteRange | None:
    """``parse_range`` for any header, the plain forms included."""
    unit, sep, range_set = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs = [s for s in range_set.split(",") if s.strip()]
    if not specs:
        return None
    parsed: list[tuple[str, str]] = []
    for spec in specs:
        match = _SPEC_RE.fullmatch(spec)
        if match is None:
            return None
        first, last = match.groups()
        if not first and not last:
            return None
        if first and last and _less(last, first):
            return None  # invalid range-spec: the whole header is ignored
        parsed.append((first, last))
    if len(parsed) > 1:
        return None
    first, last = parsed[0]
    if not first:  # suffix range: the last N bytes
        if not last.strip("0"):
            raise RangeNotSatisfiable  # a suffix of zero bytes
        if size == 0:
            # Satisfiable (RFC 9110 §14.1.1), but 206 cannot express an empty
            # range: send the whole, empty, representation.
            return None
        return ByteRange(size - _position(last, ceiling=size), size - 1)
    start = _position(first, ceiling=size)
    if start >= size:
        raise RangeNotSatisfiable
    end = size - 1 if not last else min(_position(last, ceiling=size), size - 1)
    return ByteRange(start, end)


def strong_etag_matches(header: str, etag: str) -> bool:
    """Return whether If-Range's entity tag is ``etag`` by strong comparison."""
    return not header.startswith("W/") and header == etag
