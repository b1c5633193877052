"""Background work for feeds. Tasks only call services."""

from __future__ import annotations

import logging

from django_tasks import task

from ondas.core.errors import OndasError
from ondas.feeds.models import FeedRefresh, FeedSource, RemoteEpisode
from ondas.feeds.services.chapters import remote_episode_chapters_fetch
from ondas.feeds.services.import_requests import feed_import_run
from ondas.feeds.services.refresh import feed_source_claim_due, feed_source_refresh

logger = logging.getLogger(__name__)


@task()
def feed_source_refresh_task(*, source_id: int, trigger: str = "schedule") -> str:
    """Refresh one feed; return the outcome written to its audit row."""
    source = FeedSource.objects.filter(pk=source_id).first()
    if source is None:
        logger.warning("Feed %s vanished before its refresh", source_id)
        return "gone"
    row: FeedRefresh = feed_source_refresh(source=source, trigger=trigger)
    return row.outcome


@task()
def feed_source_refresh_due_task(*, limit: int = 100) -> int:
    """Claim every feed whose refresh is due and queue a refresh for each."""
    claimed = feed_source_claim_due(limit=limit)
    for source_id in claimed:
        feed_source_refresh_task.enqueue(source_id=source_id)
    return len(claimed)


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


@task()
def feed_import_run_task(*, feed_import_id: int) -> str:
    """Run an import asked for on the import page; return its status."""
    record = feed_import_run(feed_import_id=feed_import_id)
    return record.status if record is not None else "gone"
