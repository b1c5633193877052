import pytest

from ondas.core.timefmt import format_clock, parse_clock


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (59, "0:59"), (240, "4:00"), (2379, "39:39"), (3723, "1:02:03")],
)
def test_format_clock(seconds: int, text: str) -> None:
    assert format_clock(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0:00", 0), ("4:00", 240), ("39:39", 2379), ("1:02:03", 3723), ("45", 45)],
)
def test_parse_clock(text: str, seconds: int) -> None:
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["", "1:60", "a:00", "1::0", "1:2:3:4", "-1:00"])
def test_parse_clock_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_clock(text)
