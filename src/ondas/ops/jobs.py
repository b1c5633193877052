"""The schedule: periodic jobs run once across the cluster, or once per node.

Every `ondas worker` looks at the schedule every ``ONDAS_JOBS_TICK_SECONDS``
(``jobs_tick``). Each job is a ``ScheduledJob`` row, made on the first look
(due at once: a new install needs nothing by hand). A due row is claimed under
a row lock (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so a second
worker looking at the same moment skips it; on SQLite the write lock taken at
``BEGIN IMMEDIATE`` lets one writer at a time), its task is queued, and its
next time moved on, all in one transaction: queued exactly once, or not at all.

A cluster job whose last task still waits or runs is not queued again (its
time moves on): slow workers do not pile up copies. A per-node job reads what
only its node has (`ondas serve`'s delivery logs): it has a row per node and
runs in the scheduler thread of a worker of that node, never through the
queue, where a worker of another node could take it.

``ONDAS_JOBS_OFF`` names jobs no worker starts; `ondas jobs` shows them all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_tasks import task
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ondas.accounts.ratelimit import windows_prune
from ondas.analytics.tasks import analytics_serve_logs_ingest, listening_rollup_task
from ondas.billing.services.renewals import billing_run_task
from ondas.core import clock
from ondas.feedkeys.services import feed_key_uses_prune_task
from ondas.ingest.services.refresh import feed_source_refresh_due_task
from ondas.ops.lease import node_name
from ondas.ops.models import ScheduledJob
from ondas.studio.uploads.services import uploads_remove_expired_task

logger = logging.getLogger(__name__)

# Counts of API windows are kept this long after their window ended.
RATE_WINDOWS_KEPT_SECONDS = 3600


@task()
def rate_windows_prune_task() -> int:
    """Forget the API's request counts of windows long over."""
    keep = max(RATE_WINDOWS_KEPT_SECONDS, 2 * int(settings.ONDAS_API_RATE_WINDOW))
    return windows_prune(before=int(time.time()) - keep)


def _serve_logs_ingest() -> int:
    return sum(report.downloads for report in analytics_serve_logs_ingest())


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    what: str
    # Cluster-wide jobs queue a task; per-node ones call a function here.
    task: Task[[], Any] | None = None
    run_here: Callable[[], int] | None = None

    @property
    def per_node(self) -> bool:
        return self.run_here is not None


JOBS: tuple[Job, ...] = (
    Job(
        "billing-run",
        timedelta(minutes=15),
        "renew, retry, expire subscriptions; send reminders",
        task=billing_run_task,
    ),
    Job(
        "feeds-refresh",
        timedelta(minutes=5),
        "queue the refresh of every imported feed that is due",
        task=feed_source_refresh_due_task,
    ),
    Job(
        "listening-rollup",
        timedelta(minutes=5),
        "roll up the players' heard spans",
        task=listening_rollup_task,
    ),
    Job(
        "uploads-cleanup",
        timedelta(hours=1),
        "remove expired and abandoned uploads",
        task=uploads_remove_expired_task,
    ),
    Job(
        "feedkeys-prune",
        timedelta(hours=6),
        "forget old private-feed uses and keys revoked long ago",
        task=feed_key_uses_prune_task,
    ),
    Job(
        "rate-windows-prune",
        timedelta(hours=1),
        "forget the API's request counts of past windows",
        task=rate_windows_prune_task,
    ),
    Job(
        "serve-logs-ingest",
        timedelta(minutes=5),
        "count the downloads `ondas serve` logged on this node",
        run_here=_serve_logs_ingest,
    ),
)
JOBS_BY_NAME = {job.name: job for job in JOBS}


def jobs_off() -> set[str]:
    """The jobs ``ONDAS_JOBS_OFF`` turns off; an unknown name is an error."""
    names = set(settings.ONDAS_JOBS_OFF)
    unknown = sorted(names - JOBS_BY_NAME.keys())
    if unknown:
        raise ImproperlyConfigured(
            f"ONDAS_JOBS_OFF names no job: {', '.join(unknown)} "
            f"(jobs: {', '.join(JOBS_BY_NAME)})"
        )
    return names


def _rows_ensure(*, node: str, now: datetime) -> None:
    """Make the rows of jobs that have none yet, due now."""
    ScheduledJob.objects.bulk_create(
        [
            ScheduledJob(
                name=job.name,
                node=node if job.per_node else "",
                every_seconds=int(job.every.total_seconds()),
                next_due_at=now,
            )
            for job in JOBS
        ],
        ignore_conflicts=True,
    )


def _still_pending(task_id: str) -> bool:
    return (
        bool(task_id)
        and DBTaskResult.objects.filter(
            pk=task_id,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        ).exists()
    )


@dataclass
class TickReport:
    queued: list[str]
    ran_here: list[str]


def jobs_tick(*, worker_id: str, now: datetime | None = None) -> TickReport:
    """Queue every cluster job that is due and run this node's due jobs."""
    now = now or clock.now()
    node = node_name()
    off = jobs_off()
    _rows_ensure(node=node, now=now)
    report = TickReport(queued=[], ran_here=[])
    claimed_here: list[Job] = []
    with transaction.atomic():
        due = (
            ScheduledJob.objects.select_for_update(skip_locked=True)
            .filter(next_due_at__lte=now, node__in=["", node])
            .exclude(name__in=off)
            .order_by("next_due_at", "pk")
        )
        for row in due:
            job = JOBS_BY_NAME.get(row.name)
            if job is None or (row.node != "") != job.per_node:
                continue  # a job this version no longer has
            row.every_seconds = int(job.every.total_seconds())
            row.next_due_at = now + job.every
            row.last_run_by = worker_id
            fields = ["every_seconds", "next_due_at", "last_run_by"]
            if job.task is not None and not _still_pending(row.last_task_id):
                # The task row is written in this transaction: both or neither.
                result = job.task.enqueue()
                row.last_task_id = str(result.id)
                row.last_started_at = now
                fields += ["last_task_id", "last_started_at"]
                report.queued.append(job.name)
            elif job.per_node:
                row.last_started_at = now
                fields.append("last_started_at")
                claimed_here.append(job)
            row.save(update_fields=fields)
    for job in claimed_here:
        assert job.run_here is not None
        try:
            done = job.run_here()
        except Exception:  # noqa: BLE001 - one job must not stop the others
            logger.exception("Periodic job %s failed on %s", job.name, node)
            continue
        logger.info("Periodic job %s on %s: %s", job.name, node, done)
        report.ran_here.append(job.name)
    return report


@dataclass
class JobLine:
    name: str
    node: str
    every_seconds: int
    next_due_at: datetime | None
    last_started_at: datetime | None
    last_status: str
    off: bool
    what: str


def jobs_list() -> list[JobLine]:
    """Every job of the schedule, with its rows (one per node for per-node jobs)."""
    off = set(settings.ONDAS_JOBS_OFF)
    rows = {(r.name, r.node): r for r in ScheduledJob.objects.all()}
    statuses = dict(
        DBTaskResult.objects.filter(
            pk__in=[r.last_task_id for r in rows.values() if r.last_task_id]
        ).values_list("id", "status")
    )
    lines: list[JobLine] = []
    for job in JOBS:
        mine: list[ScheduledJob | None] = [
            r for (name, _node), r in sorted(rows.items()) if name == job.name
        ]
        for row in mine or [None]:
            status = ""
            if row is not None and row.last_task_id:
                status = str(
                    next(
                        (
                            s
                            for pk, s in statuses.items()
                            if str(pk) == row.last_task_id
                        ),
                        "",
                    )
                )
            lines.append(
                JobLine(
                    name=job.name,
                    node=row.node if row is not None else "",
                    every_seconds=int(job.every.total_seconds()),
                    next_due_at=row.next_due_at if row is not None else None,
                    last_started_at=row.last_started_at if row is not None else None,
                    last_status=status,
                    off=job.name in off,
                    what=job.what,
                )
            )
    return lines
