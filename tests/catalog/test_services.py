import io
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.errors import InvalidChapter, UnknownCategory
from ondas.catalog.models import Category, Chapter, Show
from ondas.catalog.services import (
    audio_file_create,
    category_resolve,
    episode_chapters_replace,
    episode_create,
    sanitize_html,
    show_create,
)
from ondas.core.errors import ErrorCode

pytestmark = pytest.mark.django_db

WHEN = datetime(2025, 11, 17, 10, tzinfo=UTC)


@pytest.fixture
def show() -> Show:
    return show_create(
        title="Test Show", author="Ana", language="es-MX", categories=["Technology"]
    )


def test_apple_categories_are_seeded_by_migrate() -> None:
    assert Category.objects.filter(parent=None, name="Technology").exists()
    tech_news = Category.objects.get(name="Tech News")
    assert tech_news.parent is not None and tech_news.parent.name == "News"
    assert Category.objects.count() > 100


def test_category_resolve_accepts_subcategory_paths() -> None:
    assert category_resolve(name="News > Tech News").name == "Tech News"
    assert category_resolve(name="News › Tech News").name == "Tech News"


def test_category_resolve_unknown_raises() -> None:
    with pytest.raises(UnknownCategory) as exc_info:
        category_resolve(name="Podcasting Gossip")
    assert exc_info.value.code == ErrorCode.INVALID_CATEGORY
    assert exc_info.value.http_status == 400


def test_show_create_keeps_primary_category_first() -> None:
    show = show_create(
        title="Two Categories",
        author="Ana",
        language="en",
        categories=["Science", "Technology"],
    )
    names = [c.name for c in show.categories.order_by("showcategory__position")]
    assert names == ["Science", "Technology"]


@pytest.mark.parametrize("language", ["english", "e", "en_US", "en-"])
def test_show_create_rejects_non_bcp47_language(language: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        show_create(title="Bad", author="Ana", language=language)
    assert "language" in exc_info.value.message_dict


def test_sanitize_html_removes_scripts_and_handlers() -> None:
    dirty = (
        '<p onclick="steal()">Hi <script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a> <a href="https://ok.example">ok</a></p>'
    )
    clean = sanitize_html(dirty)
    assert "script" not in clean
    assert "onclick" not in clean
    assert "javascript:" not in clean
    assert 'href="https://ok.example"' in clean
    assert 'rel="noopener noreferrer nofollow"' in clean


def test_episode_create_sanitises_and_orders_chapters(show: Show) -> None:
    episode = episode_create(
        show=show,
        guid="g-1",
        title="Uno",
        description="<p>Hola<img src=x onerror=alert(1)></p>",
        published_at=WHEN,
        duration_seconds=600,
        chapters=[ChapterInput(300, "Middle"), ChapterInput(0, "Start")],
    )
    assert episode.description == "<p>Hola</p>"
    assert [c.title for c in episode.chapters.all()] == ["Start", "Middle"]
    assert episode.slug == "uno"


def test_episode_create_rejects_chapter_past_the_end(show: Show) -> None:
    with pytest.raises(InvalidChapter) as exc_info:
        episode_create(
            show=show,
            guid="g-2",
            title="Dos",
            published_at=WHEN,
            duration_seconds=60,
            chapters=[ChapterInput(0, "Start"), ChapterInput(61, "Too late")],
        )
    assert exc_info.value.code == ErrorCode.INVALID_CHAPTER
    assert not show.episodes.exists()  # the transaction left nothing behind


def test_episode_chapters_replace_rejects_duplicate_starts(show: Show) -> None:
    episode = episode_create(
        show=show, guid="g-3", title="Tres", published_at=WHEN, duration_seconds=60
    )
    with pytest.raises(InvalidChapter):
        episode_chapters_replace(
            episode=episode, chapters=[ChapterInput(5, "a"), ChapterInput(5, "b")]
        )
    assert not Chapter.objects.filter(episode=episode).exists()


def test_episode_guid_is_unique_per_show(show: Show) -> None:
    episode_create(show=show, guid="same", title="A", published_at=WHEN)
    with pytest.raises(ValidationError):
        episode_create(show=show, guid="same", title="B", published_at=WHEN)


def test_audio_file_create_records_size_and_digest(media_root: object) -> None:
    payload = bytes(range(256)) * 100
    audio = audio_file_create(
        name="tone.mp3",
        content=io.BytesIO(payload),
        mime_type="audio/mpeg",
        duration_seconds=1.5,
        bitrate=32000,
    )
    assert audio.size == len(payload)
    assert len(audio.sha256) == 64
    with audio.file.open("rb") as fh:
        assert fh.read() == payload
