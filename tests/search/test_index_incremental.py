"""The index redoes what a write changed: its episodes and the show's own
documents, not the whole show."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Max

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Chapter, Episode, Show
from ondas.catalog.services import episode_chapters_replace, show_create
from ondas.catalog.services.imported import (
    EpisodeInput,
    episodes_create_many,
    show_listed,
)
from ondas.catalog.services.lifecycle import episode_delete
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.catalog.signals import show_content_changed
from ondas.catalog.versioning import show_content_bump
from ondas.search.models import SearchDocument
from ondas.search.selectors import search_results
from tests.search.conftest import NOW, PAST, Commits

EPISODES = 1000
# One episode's documents and the show's own two (the show and its host).
SMALL = 10


@pytest.fixture
def big_show(db: None, committed: Commits) -> Show:
    with committed():
        show = show_create(title="Mil episodios", author="Eva Ruiz", language="es")
        episodes_create_many(
            show=show,
            inputs=[
                EpisodeInput(
                    guid=f"ep-{n}",
                    title=f"Episodio {n}",
                    slug=f"episodio-{n}",
                    description="<p>Charla sobre redes.</p>",
                    published_at=PAST,
                    chapters=[ChapterInput(start_seconds=0, title="Entrada")],
                )
                for n in range(EPISODES)
            ],
        )
    return show


@pytest.fixture
def bumps() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        seen.append(kwargs)

    show_content_changed.connect(receiver, dispatch_uid="test-bumps")
    yield seen
    show_content_changed.disconnect(dispatch_uid="test-bumps")


def _last_pk() -> int:
    return int(SearchDocument.objects.aggregate(last=Max("pk"))["last"] or 0)


def _written_since(pk: int) -> int:
    return SearchDocument.objects.filter(pk__gt=pk).count()


def _titles(query: str) -> list[str]:
    return [hit.title for hit in search_results(query=query, user=None, now=NOW).hits]


def _episode(show: Show, n: int) -> Episode:
    return Episode.objects.get(show=show, guid=f"ep-{n}")


def test_index_whole_show_at_first(big_show: Show) -> None:
    documents = SearchDocument.objects.filter(show=big_show)
    assert documents.filter(kind="episode").count() == EPISODES
    assert documents.filter(kind="chapter").count() == EPISODES


def test_index_one_episode_edit_rewrites_that_episode_only(
    big_show: Show, committed: Commits, bumps: list[dict[str, Any]]
) -> None:
    episode = _episode(big_show, 7)
    last = _last_pk()
    with committed():
        episode.title = "Latencia en la cola"
        episode.save()

    assert [b["episode_ids"] for b in bumps] == [[episode.pk]]
    # The episode, its chapter and the show's own documents; a whole-show
    # rebuild would write over two thousand.
    assert 0 < _written_since(last) <= SMALL
    assert _titles("latencia") == ["<mark>Latencia</mark> en la cola"]
    assert SearchDocument.objects.filter(show=big_show).count() == 2 * EPISODES + 2


def test_index_chapter_only_write_updates_its_episode(
    big_show: Show, committed: Commits, bumps: list[dict[str, Any]]
) -> None:
    episode = _episode(big_show, 3)
    last = _last_pk()
    with committed():
        episode_chapters_replace(
            episode=episode,
            chapters=[ChapterInput(start_seconds=0, title="Congestión")],
            beyond_duration=True,
        )

    assert {pk for b in bumps for pk in b["episode_ids"]} == {episode.pk}
    assert 0 < _written_since(last) <= SMALL
    assert _titles("congestion") == ["<mark>Congestión</mark>"]
    assert not SearchDocument.objects.filter(
        episode=episode, kind="chapter", title="Entrada"
    ).exists()


def test_index_chapter_delete_removes_its_document(
    big_show: Show, committed: Commits
) -> None:
    episode = _episode(big_show, 4)
    last = _last_pk()
    with committed():
        Chapter.objects.filter(episode=episode).delete()

    assert _written_since(last) <= SMALL
    assert not SearchDocument.objects.filter(episode=episode, kind="chapter").exists()
    assert SearchDocument.objects.filter(episode=episode, kind="episode").exists()


def test_index_transcript_upload_adds_its_cues_only(
    big_show: Show, committed: Commits
) -> None:
    episode = _episode(big_show, 5)
    cues = "WEBVTT\n\n00:00:03.000 --> 00:00:06.000\nEl enrutador descarta.\n"
    last = _last_pk()
    with committed():
        episode_transcript_upload(episode=episode, name="t.vtt", data=cues.encode())

    assert 0 < _written_since(last) <= SMALL
    cue = SearchDocument.objects.get(episode=episode, kind="transcript")
    assert cue.start_seconds == 3.0
    assert "enrutador" in cue.body


def test_index_episode_delete_removes_its_documents(
    big_show: Show, committed: Commits
) -> None:
    episode = _episode(big_show, 9)
    last = _last_pk()
    with committed():
        episode_delete(episode=episode)

    assert _written_since(last) <= SMALL
    assert not SearchDocument.objects.filter(episode=episode).exists()
    assert SearchDocument.objects.filter(show=big_show, kind="episode").count() == (
        EPISODES - 1
    )


def test_index_bump_without_episodes_rebuilds_the_whole_show(
    big_show: Show, committed: Commits, bumps: list[dict[str, Any]]
) -> None:
    last = _last_pk()
    with committed():
        show_content_bump([big_show.pk])

    assert bumps[0]["episode_ids"] is None
    assert _written_since(last) == 2 * EPISODES + 2


def test_index_show_language_change_rebuilds_every_document_in_it(
    big_show: Show, committed: Commits
) -> None:
    with committed():
        big_show.language = "en"
        big_show.save(update_fields=["language", "updated_at"])

    configs = set(
        SearchDocument.objects.filter(show=big_show).values_list("config", flat=True)
    )
    assert configs == {"english"}


def test_index_listing_an_imported_show_indexes_all_of_it(
    db: None, committed: Commits
) -> None:
    with committed():
        show = show_create(
            title="Recién importado", author="Leo", language="es", importing=True
        )
        episodes_create_many(
            show=show,
            inputs=[
                EpisodeInput(
                    guid="a",
                    title="Cortafuegos",
                    slug="a",
                    description="",
                    published_at=PAST,
                )
            ],
        )
    assert not SearchDocument.objects.filter(show=show).exists()

    with committed():
        show_listed(show=show)

    assert _titles("cortafuegos") == ["<mark>Cortafuegos</mark>"]
