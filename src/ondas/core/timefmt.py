"""Clock times as people read them: 4:00, 39:39, 1:02:03."""

from __future__ import annotations


def format_clock(seconds: float) -> str:
    """Return ``seconds`` as m:ss, or h:mm:ss from one hour on."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def parse_clock(text: str) -> int:
    """Return the seconds in ``h:mm:ss``, ``m:ss`` or plain seconds; raise ValueError."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a clock time: {text!r}")
    numbers = [int(p) for p in parts]
    if any(n >= 60 for n in numbers[1:]):
        raise ValueError(f"minutes and seconds must be below 60: {text!r}")
    seconds = 0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds
