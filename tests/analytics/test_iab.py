"""The IAB v2.2 rules, each on its own (``ondas.analytics.iab``)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ondas.analytics import iab


@pytest.mark.parametrize(
    ("method", "status", "range_header", "expected"),
    [
        ("GET", 200, "", True),
        ("GET", 206, "bytes=100-", True),
        ("HEAD", 200, "", False),
        ("POST", 200, "", False),
        ("GET", 304, "", False),
        ("GET", 416, "bytes=9999999-", False),
        ("GET", 404, "", False),
        ("GET", 206, "bytes=0-1", False),
        ("GET", 206, "bytes = 0-1", False),
        ("GET", 206, "BYTES=0-1", False),
        ("GET", 206, "bytes=0-2", True),
        ("GET", 206, "bytes=1-1", True),
    ],
)
def test_delivers_audio_get_200_206_only_and_never_the_probe(
    method: str, status: int, range_header: str, expected: bool
) -> None:
    assert (
        iab.delivers_audio(method=method, status=status, range_header=range_header)
        is expected
    )


@pytest.mark.parametrize(
    ("range_header", "status", "size", "expected"),
    [
        ("", 200, 1000, 0),
        ("bytes=500-", 200, 1000, 0),  # a 200 sent the whole file
        ("bytes=500-", 206, 1000, 500),
        ("bytes=500-599", 206, 1000, 500),
        ("bytes=-100", 206, 1000, 900),
        ("bytes=-5000", 206, 1000, 0),
        ("bytes=-100", 206, None, None),
        ("bytes=10-20, 30-40", 206, 1000, 10),
        ("items=1-2", 206, 1000, None),
    ],
)
def test_range_start(
    range_header: str, status: int, size: int | None, expected: int | None
) -> None:
    assert (
        iab.range_start(range_header=range_header, status=status, size=size) == expected
    )


def test_threshold_32_kbit_file_is_240_kb_a_minute_plus_its_id3_header() -> None:
    # 32 kbit/s = 4,000 bytes a second, for ten minutes.
    assert iab.threshold_bytes(size=2_400_000, duration_seconds=600) == 240_000
    assert (
        iab.threshold_bytes(size=2_410_000, duration_seconds=600, id3_size=10_000)
        == 250_000
    )


def test_threshold_short_or_unknown_duration_needs_the_whole_file() -> None:
    assert iab.threshold_bytes(size=5_000, duration_seconds=0) == 5_000
    assert iab.threshold_bytes(size=5_000, duration_seconds=45) == 5_000


def test_coverage_overlapping_ranges_count_once() -> None:
    coverage = iab.Coverage()
    coverage.add(0, 100)
    coverage.add(50, 100)  # 50..150 overlaps
    coverage.add(0, 100)  # the same again
    assert coverage.covered() == 150
    assert coverage.intervals == [[0, 150]]


def test_coverage_adjacent_and_disjoint_ranges_sum() -> None:
    coverage = iab.Coverage()
    coverage.add(200, 100)
    coverage.add(0, 100)
    coverage.add(100, 100)  # fills the gap: one interval
    coverage.add(1_000, 10)
    assert coverage.intervals == [[0, 300], [1_000, 1_010]]
    assert coverage.covered() == 310


def test_coverage_unknown_start_counts_loose_bytes() -> None:
    coverage = iab.Coverage()
    coverage.add(None, 70)
    coverage.add(0, 30)
    assert coverage.covered() == 100


def test_coverage_zero_bytes_add_nothing() -> None:
    coverage = iab.Coverage()
    coverage.add(10, 0)
    assert coverage.intervals == []
    assert coverage.covered() == 0


def test_coverage_keeps_a_bounded_number_of_intervals() -> None:
    coverage = iab.Coverage()
    for i in range(iab.MAX_INTERVALS * 2):
        coverage.add(i * 100, 10)
    assert len(coverage.intervals) == iab.MAX_INTERVALS
    # Merged gaps may count a few bytes twice over, never fewer than were sent.
    assert coverage.covered() >= iab.MAX_INTERVALS * 2 * 10


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("not an address", "not an address"),
    ],
)
def test_address_group_ipv6_by_its_64(address: str, group: str) -> None:
    assert iab.address_group(address) == group


def test_listener_same_64_same_agent_is_one_listener() -> None:
    one = iab.listener_source(
        address="2001:db8::1", user_agent="Overcast/3.0", listener_id=""
    )
    two = iab.listener_source(
        address="2001:db8::ffff:2", user_agent="Overcast/3.0", listener_id=""
    )
    other_agent = iab.listener_source(
        address="2001:db8::1", user_agent="AntennaPod/3.4", listener_id=""
    )
    assert one == two
    assert one != other_agent


def test_listener_known_person_is_themselves_wherever_they_are() -> None:
    home = iab.listener_source(address="198.51.100.1", user_agent="A", listener_id="7")
    away = iab.listener_source(address="203.0.113.9", user_agent="B", listener_id="7")
    assert home == away == "u:7"


def test_listener_digest_depends_on_the_salt_and_hides_the_source() -> None:
    source = iab.listener_source(
        address="198.51.100.1", user_agent="Overcast", listener_id=""
    )
    first = iab.listener_digest(source, b"a" * 32)
    assert first == iab.listener_digest(source, b"a" * 32)
    assert first != iab.listener_digest(source, b"b" * 32)
    assert "198.51.100.1" not in first
    assert len(first) == 32


@pytest.mark.parametrize(
    ("agent", "reason"),
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1)", "bot"),
        ("curl/8.5.0", "bot"),
        ("python-requests/2.32", "bot"),
        ("Mozilla/5.0 (compatible; AhrefsBot/7.0)", "bot"),
        ("", "empty"),
        ("-", "empty"),
        ("atc/1.0 watchOS/10.0", "watch"),
        (
            "AppleCoreMedia/1.0.0.21R355 (Apple Watch; U; CPU OS 10_0 like Mac OS X; watchOS)",
            "watch",
        ),
        (
            "AppleCoreMedia/1.0.0.20E247 (iPhone; U; CPU OS 16_4 like Mac OS X; en_us)",
            None,
        ),
        ("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)", None),
        ("AntennaPod/3.4.0", None),
        ("Podcasts/1.1.0 CFNetwork/1410 Darwin/22.6.0", None),
    ],
)
def test_agent_rules_exclude_bots_watches_and_no_agent(
    agent: str, reason: str | None
) -> None:
    assert iab.agent_rules().excluded(agent) == reason


def test_delivery_line_reads_back_as_written_whatever_the_agent() -> None:
    from datetime import UTC, datetime

    from ondas.analytics.lines import delivery_line, delivery_parse

    at = datetime(2026, 11, 3, 10, 0, 0, 123000, tzinfo=UTC)
    agent = 'Odd "app" ñ \\ \x01 /1.0'
    raw = delivery_line(
        time=at,
        addr="2001:db8::1",
        method="GET",
        path="/audio/5/k/tok.mp3",
        status=206,
        range_header="bytes=-500",
        sent=500,
        user_agent=agent,
        audio_id=5,
        listener_id=9,
    )
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    read = delivery_parse(raw)
    assert (read.time, read.ua, read.range, read.bytes) == (
        at,
        agent,
        "bytes=-500",
        500,
    )
    assert (read.audio_id, read.listener, read.status) == (5, "9", 206)


@given(st.ip_addresses(), st.booleans())
def test_address_group_answers_what_ipaddress_answers(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, exploded: bool
) -> None:
    text = address.exploded if exploded else str(address)
    assert iab.address_group(text) == iab._address_group_slow(text)


@pytest.mark.parametrize(
    "text",
    ["010.1.2.3", "1.2.3", "fe80::1%eth0", " 1.2.3.4", "::ffff:1.2.3.4", "junk", ""],
)
def test_address_group_odd_addresses_as_ipaddress_has_them(text: str) -> None:
    assert iab.address_group(text) == iab._address_group_slow(text)
