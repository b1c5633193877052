"""The IAB v2.2 download rules, as pure functions over one delivery at a time.

No database and no clock here: ``ondas.analytics.ingest`` feeds these rules
the lines of a delivery log and keeps their state. The rules:

- only a GET answered 200 or 206 delivers audio (HEAD, errors, 304 do not);
- a ``bytes=0-1`` probe (players asking for the size) is ignored;
- the ranges one listener fetched of one episode are summed as a union of
  byte intervals (a byte fetched twice counts once), and a download counts
  once the union reaches one minute of audio: the ID3v2 header plus sixty
  seconds at the file's own bitrate (``threshold_bytes``);
- one listener and one episode count once within 24 hours (the window is
  kept by the ingest, ``WINDOW``);
- a listener is the address (IPv6 grouped by its /64 network) with the user
  agent, or the person Ondas knows (a private feed's subscriber, a signed-in
  listener of exclusive audio), digested with a salt of the day;
- known bots and requests without a user agent are not listeners, and
  neither are watchOS's automatic downloads (IAB Tech Lab's Apple Watch
  guidance of 2020: filtered out, being copies of the phone's download).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from importlib import resources

WINDOW = timedelta(hours=24)
MINUTE_SECONDS = 60.0
PROBE = "bytes=0-1"
# Coverage is kept as at most this many disjoint intervals per listener and
# episode; past it the two closest merge (a few bytes may then count twice).
MAX_INTERVALS = 32

_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(?:,.*)?$", re.IGNORECASE)


def delivers_audio(*, method: str, status: int, range_header: str) -> bool:
    """Whether this request may count towards a download at all."""
    if method != "GET" or status not in (200, 206):
        return False
    return range_header.replace(" ", "").lower() != PROBE


def range_start(*, range_header: str, status: int, size: int | None) -> int | None:
    """The first byte a response sent; None when it cannot be told.

    A 200 sent the file from its start whatever was asked. A 206 sent the
    first range asked: ``a-b`` and ``a-`` start at ``a``; a suffix ``-n`` at
    ``size - n`` (None when the size is unknown).
    """
    if status == 200 or not range_header:
        return 0
    match = _RANGE.match(range_header)
    if match is None:
        return None
    first, last = match.groups()
    if first:
        return int(first)
    if last and size is not None:
        return max(0, size - int(last))
    return None


def threshold_bytes(*, size: int, duration_seconds: float, id3_size: int = 0) -> int:
    """How many bytes of the file hold its ID3v2 header and one minute of audio.

    The bitrate is the file's own, audio bytes over duration. A file of
    unknown duration (or shorter than a minute) counts once it is all sent.
    """
    audio_bytes = max(0, size - id3_size)
    if duration_seconds <= MINUTE_SECONDS:
        return size
    per_second = audio_bytes / duration_seconds
    return min(size, id3_size + int(per_second * MINUTE_SECONDS + 0.5))


@dataclass
class Coverage:
    """The byte intervals ``[start, end)`` of a file one listener was sent."""

    intervals: list[list[int]] = field(default_factory=list)
    # Bytes whose place is unknown (an unparsable range): counted, not merged.
    loose: int = 0

    def add(self, start: int | None, length: int) -> None:
        """Note ``length`` bytes sent from ``start``."""
        if length <= 0:
            return
        if start is None:
            self.loose += length
            return
        new = [start, start + length]
        merged: list[list[int]] = []
        for interval in sorted([*self.intervals, new]):
            if merged and interval[0] <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], interval[1])
            else:
                merged.append(list(interval))
        while len(merged) > MAX_INTERVALS:
            gaps = [merged[i + 1][0] - merged[i][1] for i in range(len(merged) - 1)]
            i = gaps.index(min(gaps))
            merged[i : i + 2] = [[merged[i][0], merged[i + 1][1]]]
        self.intervals = merged

    def covered(self) -> int:
        return self.loose + sum(end - start for start, end in self.intervals)


_IPV4_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_IPV4_OCTET}(?:\.{_IPV4_OCTET}){{3}}")
_MAPPED = bytes(10) + b"\xff\xff"


def address_group(address: str) -> str:
    """The address as a listener is counted: IPv4 whole, IPv6 by its /64.

    What ``ipaddress`` would answer, worked out faster for the common cases
    (a plain IPv4 address, an IPv6 one without a zone); anything else goes
    the ``ipaddress`` way.
    """
    if _IPV4.fullmatch(address):
        return address
    if ":" in address and "%" not in address:
        try:
            packed = socket.inet_pton(socket.AF_INET6, address.strip())
        except OSError:
            pass
        else:
            if packed[:12] == _MAPPED:
                return socket.inet_ntop(socket.AF_INET, packed[12:])
            return socket.inet_ntop(socket.AF_INET6, packed[:8] + bytes(8)) + "/64"
    return _address_group_slow(address)


def _address_group_slow(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def listener_source(*, address: str, user_agent: str, listener_id: str) -> str:
    """What identifies a listener before it is digested (never stored)."""
    if listener_id:
        return "u:" + listener_id
    return "a:" + address_group(address) + "\n" + user_agent


def listener_digest(source: str, salt: bytes) -> str:
    """A listener as stored: keyed by the day's salt, unlinkable once it is gone."""
    return hmac.new(salt, source.encode(), hashlib.blake2s).hexdigest()[:32]


@dataclass(frozen=True)
class AgentRules:
    """User agents that are not listeners: substrings, matched without case."""

    bots: tuple[str, ...]
    watches: tuple[str, ...]

    def excluded(self, user_agent: str) -> str | None:
        """Why this agent is not a listener ("bot", "watch", "empty"), or None."""
        agent = user_agent.strip().lower()
        if not agent or agent == "-":
            return "empty"
        if any(mark in agent for mark in self.watches):
            return "watch"
        if any(mark in agent for mark in self.bots):
            return "bot"
        return None


def _entries(name: str) -> tuple[str, ...]:
    text = resources.files("ondas.analytics").joinpath("data", name).read_text()
    return tuple(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


@lru_cache(maxsize=1)
def agent_rules() -> AgentRules:
    """The lists shipped in ``analytics/data`` (see its README)."""
    return AgentRules(bots=_entries("bots.txt"), watches=_entries("watchos.txt"))
