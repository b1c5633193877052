"""parse_range against RFC 9110 §14: one range honoured, anything odd ignored."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ondas.playback.ranges import (
    ByteRange,
    RangeNotSatisfiable,
    parse_range,
    parse_range_general,
    strong_etag_matches,
)

SIZE = 10_000

# (id, header, size, expected ByteRange or None)
SATISFIABLE: list[tuple[str, str | None, int, ByteRange | None]] = [
    ("first-byte", "bytes=0-0", SIZE, ByteRange(0, 0)),
    ("open-from-zero", "bytes=0-", SIZE, ByteRange(0, SIZE - 1)),
    ("open-from-1000", "bytes=1000-", SIZE, ByteRange(1000, SIZE - 1)),
    ("closed", "bytes=0-1023", SIZE, ByteRange(0, 1023)),
    ("last-byte", f"bytes={SIZE - 1}-", SIZE, ByteRange(SIZE - 1, SIZE - 1)),
    ("suffix", "bytes=-500", SIZE, ByteRange(SIZE - 500, SIZE - 1)),
    ("suffix-whole-length", f"bytes=-{SIZE}", SIZE, ByteRange(0, SIZE - 1)),
    ("suffix-longer-than-file", "bytes=-99999", SIZE, ByteRange(0, SIZE - 1)),
    ("last-pos-clamped", "bytes=9000-20000", SIZE, ByteRange(9000, SIZE - 1)),
    ("last-pos-at-size", f"bytes=0-{SIZE}", SIZE, ByteRange(0, SIZE - 1)),
    ("leading-zeros", "bytes=0010-0019", SIZE, ByteRange(10, 19)),
    ("upper-case-unit", "BYTES=0-9", SIZE, ByteRange(0, 9)),
    ("mixed-case-unit", "Bytes=0-9", SIZE, ByteRange(0, 9)),
    ("blanks-around-spec", "bytes= 0-9 ", SIZE, ByteRange(0, 9)),
    ("tab-around-spec", "bytes=\t0-9\t", SIZE, ByteRange(0, 9)),
    ("blanks-around-dash", "bytes=0 - 9", SIZE, ByteRange(0, 9)),
    ("blanks-around-unit", " bytes =0-9", SIZE, ByteRange(0, 9)),
    ("empty-list-elements", "bytes=,0-9,", SIZE, ByteRange(0, 9)),
    ("one-byte-file", "bytes=0-", 1, ByteRange(0, 0)),
    ("huge-last-pos", "bytes=5-" + "9" * 5000, SIZE, ByteRange(5, SIZE - 1)),
    ("huge-suffix", "bytes=-" + "9" * 5000, SIZE, ByteRange(0, SIZE - 1)),
    # Whole file: the header is absent, malformed, another unit or several ranges.
    ("absent", None, SIZE, None),
    ("empty", "", SIZE, None),
    ("reversed-ignored", "bytes=5-3", SIZE, None),
    ("other-unit", "items=0-5", SIZE, None),
    ("no-equals", "bytes 0-5", SIZE, None),
    ("letters", "bytes=abc", SIZE, None),
    ("letters-in-number", "bytes=0-1a", SIZE, None),
    ("negative-start", "bytes=--5", SIZE, None),
    ("lone-dash", "bytes=-", SIZE, None),
    ("nothing-after-equals", "bytes=", SIZE, None),
    ("only-commas", "bytes=,,", SIZE, None),
    ("multi-range", "bytes=1-2,4-5", SIZE, None),
    ("multi-range-with-suffix", "bytes=0-0,-1", SIZE, None),
    ("multi-range-one-malformed", "bytes=0-5,x", SIZE, None),
    ("non-ascii-digits", "bytes=\u0661-\u0665", SIZE, None),
    ("fullwidth-digits", "bytes=\uff10-\uff15", SIZE, None),
    ("newline-inside", "bytes=0-5\n", SIZE, None),
    ("decimal-point", "bytes=1.5-2", SIZE, None),
    ("plus-sign", "bytes=+1-2", SIZE, None),
    ("huge-reversed", "bytes=" + "9" * 5000 + "-" + "9" * 4999, SIZE, None),
    ("suffix-on-empty-file", "bytes=-5", 0, None),
]

UNSATISFIABLE: list[tuple[str, str, int]] = [
    ("suffix-zero", "bytes=-0", SIZE),
    ("suffix-zeros", "bytes=-000", SIZE),
    ("start-at-size", f"bytes={SIZE}-", SIZE),
    ("start-beyond-size", "bytes=20000-30000", SIZE),
    ("huge-start", "bytes=" + "1" * 5000 + "-", SIZE),
    ("empty-file-from-zero", "bytes=0-", 0),
    ("empty-file-closed", "bytes=0-0", 0),
    ("empty-file-suffix-zero", "bytes=-0", 0),
]


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [case[1:] for case in SATISFIABLE],
    ids=[case[0] for case in SATISFIABLE],
)
def test_parse_range_returns_range_or_whole_file(
    header: str | None, size: int, expected: ByteRange | None
) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [case[1:] for case in UNSATISFIABLE],
    ids=[case[0] for case in UNSATISFIABLE],
)
def test_parse_range_when_no_byte_fits_raises(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size)


def test_byte_range_length_and_content_range() -> None:
    byte_range = ByteRange(1000, 1999)
    assert byte_range.length == 1000
    assert byte_range.content_range(5000) == "bytes 1000-1999/5000"


@pytest.mark.parametrize(
    ("header", "etag", "expected"),
    [
        ('"a-1"', '"a-1"', True),
        ('"a-2"', '"a-1"', False),
        ('W/"a-1"', '"a-1"', False),  # If-Range wants strong comparison
        ("a-1", '"a-1"', False),
    ],
)
def test_strong_etag_matches(header: str, etag: str, expected: bool) -> None:
    assert strong_etag_matches(header, etag) is expected


_range_like = st.builds(
    "".join,
    st.lists(
        st.sampled_from(
            ["bytes", "BYTES", "items", "=", "-", ",", " ", "\t", "0", "1", "9"]
            + ["00", "123", "4294967296", "9" * 30, "x", "\u0663", ";"]
        ),
        max_size=12,
    ),
)


@given(
    header=st.one_of(st.none(), st.text(max_size=60), _range_like),
    size=st.one_of(st.integers(0, 3), st.integers(0, 2**63)),
)
@example(header="bytes=" + "1" * 5000 + "-", size=10)
@example(header="bytes=-" + "0" * 5000, size=0)
def test_parse_range_any_input_gives_range_inside_file_or_none_or_416(
    header: str | None, size: int
) -> None:
    try:
        result = parse_range(header, size)
    except RangeNotSatisfiable:
        return
    if result is not None:
        assert isinstance(result, ByteRange)
        assert 0 <= result.start <= result.end < size
        assert result.length == result.end - result.start + 1


def _outcome(parse: object, header: str, size: int) -> ByteRange | None | str:
    try:
        return parse(header, size)  # type: ignore[operator, no-any-return]
    except RangeNotSatisfiable:
        return "416"


@given(
    first=st.integers(0, 10**18 - 1),
    last=st.one_of(st.none(), st.integers(0, 10**18 - 1)),
    zeros=st.integers(0, 2),
    size=st.one_of(st.integers(0, 3), st.integers(0, 2**63)),
)
@example(first=0, last=None, zeros=0, size=0)
@example(first=5, last=4, zeros=0, size=10)
def test_parse_range_plain_forms_read_at_once_as_the_general_rule(
    first: int, last: int | None, zeros: int, size: int
) -> None:
    """Players' "bytes=N-" and "bytes=N-M" skip the general parser, same outcome."""
    pad = "0" * zeros
    header = f"bytes={pad}{first}-{'' if last is None else pad + str(last)}"

    assert _outcome(parse_range, header, size) == _outcome(
        parse_range_general, header, size
    )
