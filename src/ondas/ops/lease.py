"""Workers' heartbeats, and the tasks a dead worker left running.

django-tasks-db claims a task with ``SELECT … FOR UPDATE SKIP LOCKED`` and
marks it RUNNING in a short transaction, then runs it with no lock held and
no lease: if its worker is killed with -9 (or its node is lost), the row stays
RUNNING for ever and nothing runs it again. So each `ondas worker` writes a
``WorkerBeat`` every quarter of ``ONDAS_WORKER_LEASE_SECONDS`` from a thread of
its own (also while a task runs), and every worker's scheduler thread calls
``tasks_reap``: a RUNNING task whose worker has not beaten for a lease is
queued again (READY) when it may run twice, and marked FAILED, saying why,
when it may not (an email could go out twice; an import has its own expiry).

A task is retried at most ``MAX_ATTEMPTS`` times in all, so a task that kills
its worker every time (out of memory) stops being tried.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import normalize_uuid

from ondas.ops.models import WorkerBeat

logger = logging.getLogger(__name__)

# Tasks that may run again from the start after their worker died mid-way,
# and why running them twice does no harm.
RETRY_SAFE: dict[str, str] = {
    "ondas.billing.services.renewals.billing_run_task": (
        "rows are locked and every charge has an idempotency key"
    ),
    "ondas.feedkeys.services.feed_key_uses_prune_task": "deletes by age only",
    "ondas.ingest.services.refresh.feed_source_refresh_task": (
        "a refresh reconciles the feed with what is stored and never deletes"
    ),
    "ondas.ingest.services.refresh.feed_source_refresh_due_task": (
        "claims by next refresh time; a claimed feed is not claimed twice"
    ),
    "ondas.ingest.services.enclosures.remote_episode_enclosure_sniff_task": (
        "writes the type it reads, the same each time"
    ),
    "ondas.ingest.services.chapters.remote_episode_chapters_fetch_task": (
        "replaces the chapters with those fetched"
    ),
    "ondas.studio.uploads.services.uploads_remove_expired_task": (
        "removes what has expired; what is gone stays gone"
    ),
    "ondas.studio.uploads.services.upload_expire_task": "the same sweep",
    "ondas.search.tasks.episode_transcribe_task": (
        "writes only when done; a second run finds the transcript and skips"
    ),
    "ondas.analytics.tasks.analytics_serve_logs_ingest_task": (
        "idempotent by line: a cursor per log, moved in the same transaction"
    ),
    "ondas.analytics.tasks.listening_rollup_task": (
        "spans are rolled up in batches, each with its cursor in one transaction"
    ),
    "ondas.analytics.tasks.episode_listening_recount_task": (
        "recounts from the heard spans"
    ),
    "ondas.ops.jobs.rate_windows_prune_task": "deletes by age only",
}
MAX_ATTEMPTS = 3
# Beats of workers gone this long are deleted.
BEATS_KEPT = timedelta(days=1)


class WorkerLost(Exception):
    """Stands for the failure of a task whose worker stopped mid-way."""


@dataclass
class ReapReport:
    requeued: int = 0
    failed: int = 0


def node_name() -> str:
    """This node's name: ``ONDAS_NODE_NAME``, or the host name."""
    return str(settings.ONDAS_NODE_NAME or socket.gethostname())[:200]


def lease() -> timedelta:
    return timedelta(seconds=int(settings.ONDAS_WORKER_LEASE_SECONDS))


def beat_interval() -> float:
    return float(settings.ONDAS_WORKER_LEASE_SECONDS) / 4


def retry_safe(task_path: str) -> bool:
    return task_path in RETRY_SAFE or task_path in settings.ONDAS_TASKS_RETRY_SAFE


def worker_beat(*, worker_id: str, now: datetime) -> None:
    """Write this worker's sign of life."""
    updated = WorkerBeat.objects.filter(worker_id=worker_id).update(beat_at=now)
    if not updated:
        WorkerBeat.objects.bulk_create(
            [
                WorkerBeat(
                    worker_id=worker_id,
                    node=node_name(),
                    pid=os.getpid(),
                    started_at=now,
                    beat_at=now,
                )
            ],
            ignore_conflicts=True,
        )


def worker_gone(*, worker_id: str) -> None:
    """Forget the beat of a worker that stops cleanly."""
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def tasks_reap(*, now: datetime) -> ReapReport:
    """Queue again (or fail) the running tasks whose worker stopped beating."""
    report = ReapReport()
    cutoff = now - lease()
    with transaction.atomic():
        alive = set(
            WorkerBeat.objects.filter(beat_at__gt=cutoff).values_list(
                "worker_id", flat=True
            )
        )
        # Started more than a lease ago: a worker beats before its first claim.
        stale = (
            DBTaskResult.objects.running()
            .filter(started_at__lte=cutoff)
            .select_for_update(skip_locked=True)
            .order_by("started_at")
        )
        for row in stale:
            owner = row.worker_ids[-1] if row.worker_ids else ""
            if owner in alive:
                continue
            _reap_one(row, owner=owner, now=now, report=report)
        WorkerBeat.objects.filter(beat_at__lt=now - BEATS_KEPT).delete()
    return report


def _reap_one(
    row: DBTaskResult[Any, Any], *, owner: str, now: datetime, report: ReapReport
) -> None:
    task_id = normalize_uuid(row.id)
    if retry_safe(row.task_path) and len(row.worker_ids) < MAX_ATTEMPTS:
        row.status = TaskResultStatus.READY
        row.started_at = None
        row.save(update_fields=["status", "started_at"])
        report.requeued += 1
        logger.warning(
            "Task %s (%s): worker %s stopped beating; queued again",
            task_id,
            row.task_path,
            owner,
        )
        return
    why = (
        f"worker {owner} stopped beating (killed or its node lost) while it ran "
        "this task; "
        + (
            f"not tried again after {len(row.worker_ids)} attempts"
            if retry_safe(row.task_path)
            else "not tried again: this task may not run twice (ops.lease)"
        )
    )
    row.status = TaskResultStatus.FAILED
    row.finished_at = now
    row.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
    row.traceback = why
    row.save(
        update_fields=["status", "finished_at", "exception_class_path", "traceback"]
    )
    report.failed += 1
    logger.error("Task %s (%s): %s", task_id, row.task_path, why)
