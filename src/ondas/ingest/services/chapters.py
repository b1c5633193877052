"""An imported episode's Podcasting 2.0 chapters file, fetched after the import
or refresh that found it (by a background task: one slow host must not hold
the refresh)."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.db import transaction
from django_tasks import task

from ondas.catalog.chapters import (
    MAX_CHAPTERS_JSON_BYTES,
    ChapterInput,
    chapters_from_json,
    chapters_normalise,
)
from ondas.catalog.services import episode_chapters_replace
from ondas.core.errors import OndasError
from ondas.ingest.fetch import FetchPolicy, fetch_url
from ondas.ingest.models import RemoteEpisode
from ondas.ingest.services.reconcile import chapters_past_duration_log

logger = logging.getLogger(__name__)


def remote_episode_chapters_fetch(*, remote: RemoteEpisode) -> list[ChapterInput]:
    """Fetch the episode's ``podcast:chapters`` file and make it its chapters.

    A file that cannot be fetched or read leaves the chapters as they are
    (Podlove's or the description's) and raises the FeedError or
    ChaptersInvalid that says why.
    """
    if not remote.chapters_url:
        return []
    policy = FetchPolicy.from_settings()
    policy = replace(policy, max_bytes=min(policy.max_bytes, MAX_CHAPTERS_JSON_BYTES))
    result = fetch_url(
        remote.chapters_url,
        accept="application/json+chapters, application/json;q=0.9, */*;q=0.1",
        policy=policy,
    )
    episode = remote.episode
    # Kept past the feed's declared duration, as the item's own chapters are.
    chapters = chapters_normalise(chapters_from_json(result.body))
    chapters_past_duration_log(
        remote.source_id, [(episode.guid, episode.duration_seconds, chapters)]
    )
    with transaction.atomic(durable=True):
        episode_chapters_replace(
            episode=episode, chapters=chapters, beyond_duration=True
        )
        remote.chapters_origin = "json"
        remote.save(update_fields=["chapters_origin", "updated_at"])
    logger.info("Episode %s: %s chapters from JSON", episode.pk, len(chapters))
    return chapters


@task()
def remote_episode_chapters_fetch_task(*, remote_episode_id: int) -> int:
    """Fetch one episode's JSON chapters; return how many it has now."""
    remote = (
        RemoteEpisode.objects.select_related("episode")
        .filter(pk=remote_episode_id)
        .first()
    )
    if remote is None:
        return 0
    try:
        return len(remote_episode_chapters_fetch(remote=remote))
    except OndasError as exc:
        logger.warning(
            "Episode %s: chapters file refused (%s): %s",
            remote.episode_id,
            exc.code,
            exc.message,
        )
        return 0
