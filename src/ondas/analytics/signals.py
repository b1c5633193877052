"""Count completion and chapter reach again when an episode's shape changes.

Completion and chapter reach are worked out from each listener's coverage
against the episode's chapters and duration (``listening``). When those
change (a creator edits the chapters, a refresh brings new ones, the audio is
replaced), the counts already made are stale. Catalog's
``show_content_changed`` names the episodes a write changed; once the write
commits, those that have listening counts are recounted by the worker
(``episode_listening_recount_task``), so the write itself stays short.

A recount for a write that did not touch the shape (a new title, say) is
wasted work but changes nothing: it counts the same coverage against the same
chapters.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ondas.analytics.models import EpisodeListening
from ondas.catalog.signals import show_content_changed

# Ids per query, under every database's limit on bound parameters.
CHUNK = 500


def episodes_with_listening(
    *, show_ids: Iterable[int], episode_ids: Iterable[int] | None
) -> list[int]:
    """The episodes among those named (or of those shows, for None) that
    have listening counts to keep right."""
    if episode_ids is None:
        return sorted(
            EpisodeListening.objects.filter(
                episode__show_id__in=list(show_ids)
            ).values_list("episode_id", flat=True)
        )
    named = sorted(set(episode_ids))
    found: list[int] = []
    for start in range(0, len(named), CHUNK):
        found += EpisodeListening.objects.filter(
            episode_id__in=named[start : start + CHUNK]
        ).values_list("episode_id", flat=True)
    return sorted(found)


def _recount_queue(show_ids: list[int], episode_ids: list[int] | None) -> None:
    from ondas.analytics.tasks import episode_listening_recount_task

    stale = episodes_with_listening(show_ids=show_ids, episode_ids=episode_ids)
    for start in range(0, len(stale), CHUNK):
        episode_listening_recount_task.enqueue(episode_ids=stale[start : start + CHUNK])


def _shows_changed(
    *,
    show_ids: list[int],
    using: str,
    episode_ids: Iterable[int] | None = None,
    **kwargs: object,
) -> None:
    if episode_ids is not None:
        episode_ids = list(episode_ids)
        if not episode_ids:
            return  # only the shows' own rows: no episode's shape moved
    shows = list(show_ids)
    transaction.on_commit(lambda: _recount_queue(shows, episode_ids), using=using)


def connect() -> None:
    """Listen to the catalog's writes (``AnalyticsConfig.ready``)."""
    show_content_changed.connect(_shows_changed, dispatch_uid="analytics-recount")
