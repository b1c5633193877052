from datetime import UTC, datetime, timedelta

import pytest
from pytest_django import DjangoAssertNumQueries

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.errors import EpisodeNotFound, ShowNotFound
from ondas.catalog.models import Episode, Show
from ondas.catalog.selectors import (
    episode_get,
    episode_list_for_feed,
    episode_page_for_show,
    show_get,
    show_list,
)
from ondas.catalog.services import episode_create, show_create
from ondas.core.errors import ErrorCode

pytestmark = pytest.mark.django_db

START = datetime(2024, 1, 1, tzinfo=UTC)


def _show_with_episodes(count: int, *, kind: str = Show.Kind.EPISODIC) -> Show:
    show = show_create(
        title=f"Show {count} {kind}", author="Ana", language="en", kind=kind
    )
    for n in range(count):
        episode_create(
            show=show,
            guid=f"g{n}",
            title=f"Episode {n}",
            published_at=START + timedelta(days=n),
            duration_seconds=120,
            chapters=[ChapterInput(0, "Intro"), ChapterInput(60, "Main")],
        )
    return show


def test_episode_page_for_show_pages_newest_first(settings: object) -> None:
    show = _show_with_episodes(45)
    page = episode_page_for_show(show=show, page_number=1)
    assert page.paginator.count == 45
    assert len(page.object_list) == 20
    assert page.object_list[0].title == "Episode 44"
    last = episode_page_for_show(show=show, page_number=3)
    assert [e.title for e in last.object_list][-1] == "Episode 0"


def test_episode_page_for_serial_show_is_oldest_first() -> None:
    show = _show_with_episodes(3, kind=Show.Kind.SERIAL)
    page = episode_page_for_show(show=show, page_number=1)
    assert [e.title for e in page.object_list] == [
        "Episode 0",
        "Episode 1",
        "Episode 2",
    ]


@pytest.mark.parametrize("number", ["999", "-1", "abc", None, ""])
def test_episode_page_for_show_tolerates_bad_page_numbers(number: str | None) -> None:
    show = _show_with_episodes(25)
    page = episode_page_for_show(show=show, page_number=number)
    assert page.number in {1, 2}


def test_episode_page_query_count_does_not_grow_with_episodes(
    django_assert_max_num_queries: type[DjangoAssertNumQueries],
) -> None:
    show = _show_with_episodes(30)
    with django_assert_max_num_queries(4):
        page = episode_page_for_show(show=show, page_number=1)
        for episode in page.object_list:
            list(episode.chapters.all())
            _ = episode.audio


def test_show_get_unknown_slug_raises() -> None:
    with pytest.raises(ShowNotFound) as exc_info:
        show_get(slug="nope")
    assert exc_info.value.code == ErrorCode.SHOW_NOT_FOUND
    assert exc_info.value.http_status == 404


def test_episode_get_unknown_raises() -> None:
    show = _show_with_episodes(1)
    with pytest.raises(EpisodeNotFound):
        episode_get(show_slug=show.slug, episode_slug="nope")


def test_show_list_counts_episodes() -> None:
    _show_with_episodes(3)
    assert [s.episode_count for s in show_list()] == [3]  # type: ignore[attr-defined]


def test_episode_list_for_feed_leaves_out_exclusive_and_audioless(
    demo_catalog: Show,
) -> None:
    exclusive_show = Show.objects.get(slug="sala-de-maquinas")
    feed = list(episode_list_for_feed(show=exclusive_show))
    assert [e.slug for e in feed] == ["bienvenida"]
    assert all(e.access == Episode.Access.FREE for e in feed)
    episode_create(
        show=demo_catalog, guid="no-audio", title="Draft", published_at=START
    )
    assert "no-audio" not in {e.guid for e in episode_list_for_feed(show=demo_catalog)}


def test_a_10000_episode_show_pages_without_loading_everything(
    django_assert_max_num_queries: type[DjangoAssertNumQueries],
) -> None:
    show = show_create(title="Huge", author="Ana", language="en")
    Episode.objects.bulk_create(
        Episode(
            show=show,
            guid=f"g{n}",
            title=f"Episode {n}",
            slug=f"episode-{n}",
            published_at=START + timedelta(hours=n),
        )
        for n in range(10_000)
    )
    with django_assert_max_num_queries(4):
        page = episode_page_for_show(show=show, page_number=250)
        titles = [e.title for e in page.object_list]
    assert page.paginator.num_pages == 500
    assert titles[0] == "Episode 5019"
    assert len(titles) == 20
