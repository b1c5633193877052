"""The studio's chapter editor: what it reads, what it refuses, row by row."""

from __future__ import annotations

import io

import pytest
from pytest_django.fixtures import Settings

from ondas.catalog.errors import ChaptersRejected, FieldsManagedByFeed
from ondas.catalog.models import Chapter, Episode, Show
from ondas.catalog.services import audio_file_create
from ondas.catalog.services.authored import studio_episode_create
from ondas.catalog.services.chapter_editor import (
    ChapterRow,
    chapter_rows_check,
    chapter_rows_prefill,
    episode_chapters_edit,
)
from ondas.core import clock
from ondas.core.errors import ErrorCode
from ondas.ingest.models import FeedSource, RemoteEpisode
from tests.support.feeds import tiny_mp3

HOUR_AND_A_HALF = 5400.0


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are checked in English."""


def test_starts_are_read_in_every_way_people_type_them_and_sorted() -> None:
    rows = [
        ChapterRow("1:02:03", "Tercero"),
        ChapterRow("0", "Primero"),
        ChapterRow("", "", ""),  # the editor's empty last row
        ChapterRow(" 62:02 ", "  Segundo   con espacios "),
        ChapterRow("3724", "Cuarto", "https://ex.com/4"),
    ]

    chapters = chapter_rows_check(rows=rows, duration_seconds=HOUR_AND_A_HALF)

    assert [(c.start_seconds, c.title, c.url) for c in chapters] == [
        (0.0, "Primero", ""),
        (3722.0, "Segundo con espacios", ""),
        (3723.0, "Tercero", ""),
        (3724.0, "Cuarto", "https://ex.com/4"),
    ]


def test_every_wrong_row_is_named_with_what_is_wrong() -> None:
    rows = [
        ChapterRow("0:00", "Bien"),
        ChapterRow("1:02:03", "Uno"),
        ChapterRow("62:03", "El mismo momento"),
        ChapterRow("3723", "Y otra vez"),
        ChapterRow("1:75", "Minutos raros"),
        ChapterRow("", "Sin hora"),
        ChapterRow("2:00:00", "Pasado el final"),
        ChapterRow("5:00", "   "),
        ChapterRow("6:00", "Enlace", "javascript:alert(1)"),
    ]

    with pytest.raises(ChaptersRejected) as rejected:
        chapter_rows_check(rows=rows, duration_seconds=HOUR_AND_A_HALF)

    assert rejected.value.code == ErrorCode.CHAPTERS_REJECTED
    assert rejected.value.errors == {
        1: ["Another chapter starts at 1:02:03 too."],
        2: ["Another chapter starts at 1:02:03 too."],
        3: ["Another chapter starts at 1:02:03 too."],
        4: ["“1:75” is not a time: write 1:02:03, 62:03 or 3723."],
        5: ["Enter when the chapter starts, such as 1:02:03."],
        6: ["2:00:00 is past the end of the audio (1:30:00)."],
        7: ["Give the chapter a title."],
        8: ["Enter a web address that starts with https://."],
    }
    assert rejected.value.general == []


def test_too_many_chapters_is_said_once(settings: Settings) -> None:
    settings.ONDAS_MAX_CHAPTERS = 2
    rows = [ChapterRow(str(n), f"C{n}") for n in range(3)]

    with pytest.raises(ChaptersRejected) as rejected:
        chapter_rows_check(rows=rows, duration_seconds=0)

    assert rejected.value.errors == {}
    assert rejected.value.general == ["An episode has at most 2 chapters."]


def _studio_episode(show: Show, description: str = "") -> Episode:
    audio = audio_file_create(
        name="c.mp3",
        content=io.BytesIO(tiny_mp3(3)),
        mime_type="audio/mpeg",
        duration_seconds=600.0,
    )
    return studio_episode_create(
        show=show, title="Con capítulos", description=description, audio_id=audio.pk
    )


def test_an_edit_replaces_the_chapters_and_a_wrong_one_keeps_them(
    small_show: Show,
) -> None:
    episode = _studio_episode(small_show)
    episode_chapters_edit(
        episode=episode,
        rows=[ChapterRow("5:00", "Después"), ChapterRow("0:00", "Antes")],
    )
    kept = list(Chapter.objects.filter(episode=episode).values_list("title", flat=True))
    assert kept == ["Antes", "Después"]

    with pytest.raises(ChaptersRejected):
        episode_chapters_edit(
            episode=episode,
            rows=[ChapterRow("0:00", "Nuevo"), ChapterRow("11:00", "Tarde")],
        )

    again = list(
        Chapter.objects.filter(episode=episode).values_list("title", flat=True)
    )
    assert again == kept


def test_the_editor_is_prefilled_from_description_timestamps(small_show: Show) -> None:
    episode = _studio_episode(
        small_show,
        description="<p>0:00 Intro<br>4:30 La pregunta<br>9:15 Despedida</p>",
    )

    rows = chapter_rows_prefill(episode=episode)

    assert rows == [
        ChapterRow("0:00", "Intro"),
        ChapterRow("4:30", "La pregunta"),
        ChapterRow("9:15", "Despedida"),
    ]
    episode_chapters_edit(episode=episode, rows=rows[:1])
    assert chapter_rows_prefill(episode=episode) == [ChapterRow("0:00", "Intro")]


def test_an_imported_episode_keeps_the_chapters_its_feed_gives(
    small_show: Show,
) -> None:
    source = FeedSource.objects.create(
        show=small_show, url="https://ex.com/feed.xml", next_refresh_at=clock.now()
    )
    imported = Episode.objects.get(guid="small-1")
    RemoteEpisode.objects.create(
        episode=imported,
        source=source,
        enclosure_url="https://cdn.example.com/1.mp3",
        item_sha256="x",
        last_seen_at=clock.now(),
    )
    before = Chapter.objects.filter(episode=imported).count()

    with pytest.raises(FieldsManagedByFeed):
        episode_chapters_edit(episode=imported, rows=[ChapterRow("0", "Mío")])

    assert Chapter.objects.filter(episode=imported).count() == before
