"""What every import and refresh shares: its audit row and the source's schedule."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from ondas.catalog.models import BCP47_RE
from ondas.ingest.errors import FeedError
from ondas.ingest.fetch import FetchResult
from ondas.ingest.models import FeedRefresh, FeedSource, RemoteEpisode
from ondas.ingest.parse import ParsedFeed
from ondas.ingest.services.chapters import remote_episode_chapters_fetch_task
from ondas.ingest.services.enclosures import enclosures_sniff_enqueue
from ondas.ingest.services.reconcile import Followups

logger = logging.getLogger(__name__)

Outcome = FeedRefresh.Outcome


@dataclass(frozen=True)
class Attempt:
    started_at: datetime
    trigger: str
    fetch: FetchResult | None = None


def _backoff(source: FeedSource) -> timedelta:
    interval = timedelta(minutes=source.refresh_interval_minutes)
    cap = timedelta(minutes=settings.ONDAS_FEEDS_MAX_BACKOFF_MINUTES)
    return min(interval * (1 << min(source.failure_count, 16)), max(cap, interval))


def source_schedule(source: FeedSource, *, ok: bool, now: datetime) -> None:
    source.last_attempt_at = now
    if ok:
        source.failure_count = 0
        source.last_success_at = now
        source.next_refresh_at = now + timedelta(
            minutes=source.refresh_interval_minutes
        )
    else:
        source.failure_count += 1
        source.next_refresh_at = now + _backoff(source)


def audit_write(
    source: FeedSource,
    attempt: Attempt,
    *,
    outcome: str,
    now: datetime,
    feed: ParsedFeed | None = None,
    error: FeedError | None = None,
    **fields: object,
) -> FeedRefresh:
    fetch = attempt.fetch
    row = FeedRefresh(
        source=source,
        trigger=attempt.trigger,
        started_at=attempt.started_at,
        finished_at=now,
        outcome=outcome,
        reason=str(error.code) if error is not None else "",
        message=error.message if error is not None else "",
        http_status=fetch.status if fetch is not None else _status_of(error),
        bytes_received=len(fetch.body) if fetch is not None else 0,
        content_sha256=feed.content_sha256 if feed is not None else "",
        newest_item_at=feed.newest_item_at if feed is not None else None,
        build_date=feed.build_date if feed is not None else None,
        items_in_feed=len(feed.items) if feed is not None else 0,
        **fields,
    )
    row.save()
    log = logger.info if outcome in {Outcome.APPLIED, Outcome.UNCHANGED} else None
    (log or logger.warning)(
        "Feed %s refresh %s: %s %s", source.pk, row.pk, outcome, row.reason
    )
    return row


def _status_of(error: FeedError | None) -> int | None:
    status = error.data.get("status") if error is not None else None
    return status if isinstance(status, int) else None


def applied_state_record(source: FeedSource, feed: ParsedFeed) -> None:
    source.applied_content_sha256 = feed.content_sha256
    if feed.newest_item_at is not None:
        source.applied_newest_item_at = max(
            filter(None, [feed.newest_item_at, source.applied_newest_item_at])
        )
    if feed.build_date is not None:
        source.applied_build_date = feed.build_date
    source.remote_image_url = feed.image_url
    source.remote_link = feed.link


def followups_enqueue(followups: Followups) -> None:
    """Once the transaction commits, queue the fetches an applied plan left."""
    chapters_enqueue(followups.chapters)
    enclosures_sniff_enqueue(followups.enclosures)


def chapters_enqueue(remotes: Sequence[RemoteEpisode]) -> None:
    if not remotes:
        return
    ids = [r.pk for r in remotes]

    def enqueue() -> None:
        for remote_id in ids:
            remote_episode_chapters_fetch_task.enqueue(remote_episode_id=remote_id)

    transaction.on_commit(enqueue)


def show_language(raw: str, *, default: str = "en") -> str:
    tag = raw.strip().replace("_", "-")
    return tag if re.match(BCP47_RE, tag) else default
