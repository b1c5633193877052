import io
from pathlib import Path

import pytest

from ondas.catalog.models import AudioFile, Chapter, Episode, Show
from ondas.core.timefmt import format_clock
from ondas.ops import demo
from ondas.ops.demo_audio import BITRATE_KBPS, SAMPLE_RATE, encode_tone_mp3

PAGE_FAULT_CHAPTERS = [
    ("0:00", "Intro"),
    ("4:00", "Virtual memory"),
    ("12:00", "VMA areas"),
    ("19:50", "Kernel mode"),
    ("25:30", "What is a Page fault?"),
    ("30:30", "First access page fault"),
    ("33:00", "Stack Expansion page fault"),
    ("34:30", "CoW page fault"),
    ("38:00", "Swap page fault"),
    ("39:39", "File backed page fault"),
    ("40:29", "Permission page fault"),
    ("45:30", "Summary"),
]


def test_demo_has_the_product_page_show(demo_catalog: Show) -> None:
    assert demo_catalog.title == "The Backend Engineering Show with Hussein Nasser"
    assert demo_catalog.language == "en"
    assert [c.name for c in demo_catalog.categories.all()] == ["Technology"]
    assert demo_catalog.artwork.name
    titles = list(demo_catalog.episodes.values_list("title", flat=True))
    assert titles == [
        "CPU and Kernel Page Faults",
        "Amazon US-EAST-1 Outage in Details",
        "Graceful shutdown in HTTP",
        "Postgres 18 gets Async IO",
        "Kernel level TLS",
    ]


def test_demo_chapters_match_the_product_page(page_faults_episode: Episode) -> None:
    chapters = [
        (format_clock(c.start_seconds), c.title)
        for c in page_faults_episode.chapters.all()
    ]
    assert chapters == PAGE_FAULT_CHAPTERS


def test_every_demo_chapter_starts_inside_real_audio(demo_catalog: Show) -> None:
    for episode in Episode.objects.select_related("audio"):
        assert episode.audio is not None
        assert Path(episode.audio.file.path).stat().st_size == episode.audio.size
        # CBR: bytes ≈ duration × bitrate / 8, so the file really is that long.
        expected = episode.duration_seconds * BITRATE_KBPS * 1000 / 8
        assert abs(episode.audio.size - expected) / expected < 0.02
        last = episode.chapters.order_by("-start_seconds").first()
        assert last is not None and last.start_seconds < episode.duration_seconds


def test_demo_second_show_has_exclusive_episodes(demo_catalog: Show) -> None:
    show = Show.objects.get(slug="sala-de-maquinas")
    access = dict(show.episodes.values_list("slug", "access"))
    assert access["bienvenida"] == Episode.Access.FREE
    assert access["un-servidor-una-base-de-datos"] == Episode.Access.EXCLUSIVE
    assert access["desplegar-sin-cortar"] == Episode.Access.EXCLUSIVE


def test_demo_load_twice_adds_nothing(demo_catalog: Show) -> None:
    counts = (Show.objects.count(), Episode.objects.count(), Chapter.objects.count())
    report = demo.demo_load()
    assert "0 show(s) and 0 episode(s) added" in report
    assert (
        Show.objects.count(),
        Episode.objects.count(),
        Chapter.objects.count(),
    ) == counts
    # One file per episode, plus each demo book's parts and its sample.
    book_files = sum(len(book.parts) + 1 for book in demo.DEMO_BOOKS)
    assert AudioFile.objects.count() == counts[1] + book_files


def test_demo_load_restores_audio_deleted_from_disk(
    page_faults_episode: Episode,
) -> None:
    assert page_faults_episode.audio is not None
    Path(page_faults_episode.audio.file.path).unlink()
    demo.demo_load()
    page_faults_episode.refresh_from_db()
    assert page_faults_episode.audio is not None
    assert Path(page_faults_episode.audio.file.path).exists()


def test_encode_tone_mp3_writes_mpeg_frames() -> None:
    out = io.BytesIO()
    size = encode_tone_mp3(out, duration_seconds=3, chapter_starts=[0, 1])
    data = out.getvalue()
    assert size == len(data) > 0
    # Frame sync: 11 set bits; MPEG-2 (16 kHz), layer III.
    assert data[0] == 0xFF and (data[1] & 0xE0) == 0xE0
    assert (data[1] >> 3) & 0b11 == 0b10  # MPEG version 2
    assert (data[1] >> 1) & 0b11 == 0b01  # layer III
    assert SAMPLE_RATE == 16_000


@pytest.mark.django_db
def test_demo_load_writes_progress(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "DEMO_SHOWS", (demo.EXCLUSIVE_SHOW,))
    out = io.StringIO()
    demo.demo_load(out=out)
    assert "Sala de Máquinas — Bienvenida a Sala de Máquinas" in out.getvalue()


def test_demo_plans_match_the_storefront(demo_catalog: Show) -> None:
    from ondas.billing.models import Plan

    premium = Plan.objects.get(slug="premium")
    assert (premium.price_minor, premium.currency, premium.interval) == (
        9900,
        "MXN",
        "month",
    )
    assert (premium.trial_days, premium.audiobook_hours) == (7, 20)
    assert premium.includes_exclusive is True
    assert Plan.objects.get(slug="free").is_free is True
    demo.demo_load()
    assert Plan.objects.count() == 2
