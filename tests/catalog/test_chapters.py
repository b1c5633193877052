"""Chapters from descriptions, Podcasting 2.0 JSON, Podlove and ID3 frames."""
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ondas.catalog.chapters import (
    ChapterInput,
    chapters_from_description,
    chapters_from_id3,
    chapters_from_json,
    chapters_from_psc,
    chapters_normalise,
    chapters_to_json,
    format_npt,
)
from ondas.catalog.errors import ChaptersInvalid
from ondas.catalog.models import Episode, Show
from ondas.catalog.services import episode_chapters_from_audio
from ondas.core.errors import ErrorCode
from ondas.ops import demo
from ondas.ops.demo_audio import encode_tone_mp3

PRODUCT_PAGE = (
    Path(__file__).resolve().parents[3] / "shared" / "product" / "product-page.txt"
)

# The chapter runs of the product page's five descriptions, as they are
# written there (bullets, times glued to titles, a stray space in "3 1:30",
# link labels after the last title); the prose around them is ours.
PRODUCT_RUNS = {
    "cpu-and-kernel-page-faults": (
        "Why page faults cost what they cost. * 0:00 Intro * 4:00 Virtual memory"
        " * Abstraction of physical memory * Memory sharing * Allow more processes"
        " to run , unused go to disk * Numa, kernel can place memory near the cpu"
        " * 12:00 VMA areas * Text/code * Data * BSS * Heap * Stack * 19:50 Kernel"
        " mode * 25:30 What is a Page fault? * 30:30 First access page fault"
        " * 33:00 Stack Expansion page fault * 34:30 CoW page fault * 38:00 Swap"
        " page fault * 39:39 File backed page fault * 40:29 Permission page fault"
        " * 45:30 Summary"
    ),
    "amazon-us-east-1-outage-in-details": (
        "The report explains the failure0:00 Summary 5:30 How did Dynamo lost its"
        " DNS?13:41 EC2 Errors 16:16 Network Load Balancer ErrorsRCA here"
        " https://aws.amazon.com/message/101925/"
    ),
    "graceful-shutdown-in-http": (
        "Closing connections politely. * 0:00 Intro * 4:58 Why shutdown"
        " connection? * 6:46 HTTP/1.1 Graceful shutdown * 12:26 Cost of HTTP/2"
        " * 17:40 HTTP/2 GoAWAY frame * 23:40 Summary Links"
        " https://www.youtube.com/watch?v=fVKPrDrEwTI&t=1s"
        " [https://www.youtube.com/watch?v=fVKPrDrEwTI&t=1s]"
        " https://issues.chromium.org/issues/40555364"
    ),
    "postgres-18-gets-async-io": (
        "Enjoy 0:00 Intro 1:30 Synchronous vs Asynchronous calls 3:00 Synchronous"
        " IO 6:30 Asynchronous IO 10:00 Postgres 17 synchronous io 17:20 The"
        " challenge of Async IO in Postgres 18 20:00 io_method worker23:00"
        " io_method io_uring 29:30 io_method sync 31:08 Async IO isn't done! 3"
        " 1:30 Support for backend writers 32:36 Improve worker io_method 33:00"
        " direct io support 37:00 Summary"
    ),
    "kernel-level-tls": (
        "Deserves a video.0:00 Intro2:00 Userspace SSL Libraries 3:00 ktls 6:00"
        " Kernel Encrypts/Decrypts (TLS_SW)8:20 NIC offload mode (TLS_HW)10:15 NIC"
        " does it all (TLS_HW_RECORD)12:00 Write TX Example13:50 Read RX"
        " Example17:00 Zero copy (sendfile)https://docs.kernel.org/networking/"
        "tls-offload.html"
    ),
}


def _expected(slug: str) -> list[tuple[float, str]]:
    from ondas.core.timefmt import parse_clock

    spec = next(e for e in demo.BACKEND_SHOW.episodes if e.slug == slug)
    return [(float(parse_clock(t)), title) for t, title in spec.chapters]


def _pairs(chapters: list[ChapterInput]) -> list[tuple[float, str]]:
    return [(c.start_seconds, c.title) for c in chapters]


@pytest.mark.parametrize("slug", sorted(PRODUCT_RUNS))
def test_chapters_from_description_product_page_styles(slug: str) -> None:
    """Each style of the product page gives exactly the demo's chapter list."""
    assert _pairs(chapters_from_description(PRODUCT_RUNS[slug])) == _expected(slug)


@pytest.mark.skipif(not PRODUCT_PAGE.exists(), reason="shared/ product page absent")
def test_chapters_from_description_whole_product_page() -> None:
    """Run on the product page's own lines, every episode gets its exact list."""
    lines = PRODUCT_PAGE.read_text().splitlines()
    found = {}
    for spec in demo.BACKEND_SHOW.episodes:
        index = lines.index(spec.title)
        found[spec.slug] = _pairs(chapters_from_description(lines[index + 1]))
    for slug, chapters in found.items():
        # The page writes a typographic apostrophe where the demo data has "'".
        assert [(s, t.replace("’", "'")) for s, t in chapters] == _expected(slug)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "<p>0:00 Hello<br>1:02:03 Deep dive<br>1:10:00 Outro</p>",
            [(0.0, "Hello"), (3723.0, "Deep dive"), (4200.0, "Outro")],
        ),
        (
            "(00:00) Start\n(05:10) Middle\n(10:20) End",
            [(0.0, "Start"), (310.0, "Middle"), (620.0, "End")],
        ),
        (
            "0:00 - Intro\n2:00 - Topic: caches",
            [(0.0, "Intro"), (120.0, "Topic: caches")],
        ),
        ("Meet at 10:30 tomorrow.", []),
        ("0:00 only one", []),
        ("4:00 no start at zero 5:00 at all", []),
        (
            "0:00 A 2:00 B 1:00 C 3:00 D",
            [(0.0, "A"), (120.0, "B 1:00 C"), (180.0, "D")],
        ),
        (
            "0:00 Intro &amp; hello 1:00 Q&amp;A",
            [(0.0, "Intro & hello"), (60.0, "Q&A")],
        ),
    ],
)
def test_chapters_from_description_cases(
    text: str, expected: list[tuple[float, str]]
) -> None:
    assert _pairs(chapters_from_description(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Our week in Lisbon. 0:00 Intro 3:15 The flight, at 12:30 pm we met"
            " the crew 18:40 Landing",
            [
                (0.0, "Intro"),
                (195.0, "The flight, at 12:30 pm we met the crew"),
                (1120.0, "Landing"),
            ],
        ),
        (
            "0:00 News 2:00 Weather: rain until 15:00 4:00 Sports",
            [(0.0, "News"), (120.0, "Weather: rain until 15:00"), (240.0, "Sports")],
        ),
        (
            "0:00 Presentación 3:00 Nos vimos a las 12:30 en el centro 9:00 Despedida",
            [
                (0.0, "Presentación"),
                (180.0, "Nos vimos a las 12:30 en el centro"),
                (540.0, "Despedida"),
            ],
        ),
        (
            "0:00 Intro 5:00 The 21:30h show 8:00 Stage times 19:45 UTC 10:00 End",
            [
                (0.0, "Intro"),
                (300.0, "The 21:30h show"),
                (480.0, "Stage times 19:45 UTC"),
                (600.0, "End"),
            ],
        ),
        ("Doors open from 9:30 until 11:00, the talk is at 10:15 am.", []),
    ],
)
def test_chapters_from_description_time_of_day_is_prose(
    text: str, expected: list[tuple[float, str]]
) -> None:
    """A clock time in a sentence ("at 12:30 pm") is part of a title, not a chapter."""
    assert _pairs(chapters_from_description(text)) == expected


def test_chapters_from_description_time_after_a_title_on_its_line_is_prose() -> None:
    """When each line opens with its time, a later time on the line is its title's."""
    text = (
        "<p>Commuting stories.</p><p>0:00 Welcome</p>"
        "<p>4:10 Why the 9:30 train is always late</p>"
        "<p>15:00 Letters, and the 22:15 night bus</p><p>31:00 Goodbye</p>"
    )
    assert _pairs(chapters_from_description(text)) == [
        (0.0, "Welcome"),
        (250.0, "Why the 9:30 train is always late"),
        (900.0, "Letters, and the 22:15 night bus"),
        (1860.0, "Goodbye"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "<p>Chapters</p><ul><li>Intro - 0:00</li><li>Virtual memory - 4:00</li>"
        "<li>VMA areas - 12:00</li><li>Summary – 45:30</li></ul>",
        "Intro (00:00)\nVirtual memory (04:00)\nVMA areas (12:00)\nSummary (45:30)",
        "Intro 0:00 | Virtual memory 4:00 | VMA areas 12:00 | Summary 45:30",
        "Timestamps:<br>• Intro: 0:00<br>• Virtual memory: 4:00<br>"
        "• VMA areas: 12:00<br>• Summary: 45:30",
    ],
)
def test_chapters_from_description_title_before_its_time(text: str) -> None:
    """In "Title - 0:00" lists each title goes with the time after it, not the next."""
    assert _pairs(chapters_from_description(text)) == [
        (0.0, "Intro"),
        (240.0, "Virtual memory"),
        (720.0, "VMA areas"),
        (2730.0, "Summary"),
    ]


def test_chapters_from_description_drops_times_past_the_end() -> None:
    chapters = chapters_from_description("0:00 A 1:00 B 9:00 C", duration_seconds=300)
    assert _pairs(chapters) == [(0.0, "A"), (60.0, "B")]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_chapters_from_description_fuzz_never_raises(text: str) -> None:
    chapters = chapters_from_description(text)
    starts = [c.start_seconds for c in chapters]
    assert starts == sorted(set(starts))
    assert all(s >= 0 for s in starts)
    assert all(c.title and len(c.title) <= 255 for c in chapters)


_clock = st.builds(
    lambda h, m, s: f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}",
    st.integers(0, 3),
    st.integers(0, 59),
    st.integers(0, 59),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            _clock,
            st.text(max_size=12),
            st.sampled_from(["*", "\n", "https://x.example/a"]),
        )
    )
)
def test_chapters_from_description_fuzz_clock_soup(parts: list[str]) -> None:
    """Text dense with clock times still gives an ascending, non-negative list."""
    chapters = chapters_from_description("0:00 " + " ".join(parts))
    starts = [c.start_seconds for c in chapters]
    assert starts == sorted(set(starts)) and all(s >= 0 for s in starts)


def test_chapters_from_json_reads_the_podcasting_20_format() -> None:
    document = {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 94.5, "title": "Donations", "url": "https://ex.com/d"},
            {"startTime": 0, "title": "Intro", "img": "https://ex.com/i.png"},
            {"startTime": 50, "title": "Silent", "toc": False},
            {"startTime": "x", "title": "bad start"},
            {"startTime": -3, "title": "negative"},
            {"startTime": 200, "title": "Bad link", "url": "javascript:alert(1)"},
        ],
    }
    chapters = chapters_from_json(json.dumps(document))
    assert chapters == [
        ChapterInput(0.0, "Intro", image="https://ex.com/i.png"),
        ChapterInput(94.5, "Donations", url="https://ex.com/d"),
        ChapterInput(200.0, "Bad link"),
    ]


@pytest.mark.parametrize("data", ["not json", "[]", '{"chapters": 3}', "{" * 5000])
def test_chapters_from_json_rejects_other_documents(data: str) -> None:
    with pytest.raises(ChaptersInvalid) as exc_info:
        chapters_from_json(data)
    assert exc_info.value.code == ErrorCode.CHAPTERS_INVALID


def test_chapters_to_json_round_trips() -> None:
    chapters = [ChapterInput(0.0, "A", url="https://ex.com"), ChapterInput(61.5, "B")]
    assert chapters_from_json(json.dumps(chapters_to_json(chapters))) == chapters


def test_chapters_from_psc_takes_podcastparser_entries() -> None:
    entries = [
        {"start": 62.5, "title": "Two", "href": "https://ex.com/2"},
        {"start": 0, "title": "One", "image": "https://ex.com/1.jpg"},
        {"start": 62.5, "title": "Duplicate"},
    ]
    assert chapters_from_psc(entries) == [
        ChapterInput(0.0, "One", image="https://ex.com/1.jpg"),
        ChapterInput(62.5, "Two", url="https://ex.com/2"),
    ]


def test_format_npt() -> None:
    assert format_npt(3723.25) == "01:02:03.250"
    assert format_npt(0) == "00:00:00.000"


def test_chapters_normalise_fills_empty_titles_and_drops_nan() -> None:
    chapters = chapters_normalise(
        [ChapterInput(float("nan"), "x"), ChapterInput(75, "  ")], duration_seconds=100
    )
    assert chapters == [ChapterInput(75.0, "1:15")]


def _mp3_with_chap_frames(chapters: list[tuple[int, int, str]]) -> bytes:
    from mutagen.id3 import CHAP, CTOC, ID3, TIT2, WXXX, CTOCFlags

    buffer = io.BytesIO()
    encode_tone_mp3(buffer, duration_seconds=3, chapter_starts=[0])
    tags = ID3()
    for n, (start_ms, end_ms, title) in enumerate(chapters):
        tags.add(
            CHAP(
                element_id=f"ch{n}",
                start_time=start_ms,
                end_time=end_ms,
                sub_frames=[
                    TIT2(text=[title]),
                    WXXX(desc="", url=f"https://ex.com/{n}"),
                ],
            )
        )
    tags.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=[f"ch{n}" for n in range(len(chapters))],
        )
    )
    tagged = io.BytesIO(buffer.getvalue())
    tags.save(tagged)
    return tagged.getvalue()


def test_chapters_from_id3_reads_chap_frames() -> None:
    data = _mp3_with_chap_frames([(1500, 3000, "Second"), (0, 1500, "First")])
    assert chapters_from_id3(io.BytesIO(data)) == [
        ChapterInput(0.0, "First", url="https://ex.com/1"),
        ChapterInput(1.5, "Second", url="https://ex.com/0"),
    ]


def test_chapters_from_id3_untagged_file_has_none() -> None:
    buffer = io.BytesIO()
    encode_tone_mp3(buffer, duration_seconds=1)
    buffer.seek(0)
    assert chapters_from_id3(buffer) == []


def test_episode_chapters_from_audio_replaces_chapters(small_show: Show) -> None:
    from ondas.catalog.services import audio_file_create

    episode = Episode.objects.get(show=small_show, guid="small-1")
    data = _mp3_with_chap_frames([(0, 1000, "Cold open"), (2000, 3000, "Main")])
    audio = audio_file_create(
        name="tagged.mp3",
        content=io.BytesIO(data),
        mime_type="audio/mpeg",
        duration_seconds=3.0,
    )
    episode.audio = audio
    episode.duration_seconds = 3.0
    episode.save(update_fields=["audio", "duration_seconds"])
    found = episode_chapters_from_audio(episode=episode)
    assert [c.title for c in found] == ["Cold open", "Main"]
    assert list(episode.chapters.values_list("start_seconds", "title")) == [
        (0.0, "Cold open"),
        (2.0, "Main"),
    ]
