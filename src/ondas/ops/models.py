"""What the operational checks keep in the database."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """One row, written in place by every readiness check (``ops.health``).

    ``/readyz`` proves the database still takes a write by updating it: a
    ``SELECT 1`` answers happily from a full disk or a read-only file.
    """

    beat_at = models.DateTimeField()
    # Who wrote it last (host and process), for the operator reading it.
    beat_by = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.beat_by} at {self.beat_at.isoformat()}"


class ScheduledJob(models.Model):
    """One periodic job of the schedule (``ops.jobs``), as every worker sees it.

    A cluster-wide job has ``node == ""``: whichever worker first finds it due
    claims the row under a lock, queues the job once and moves ``next_due_at``
    on, in one transaction. A per-node job (it reads files of its own node)
    has one row per node, claimed the same way by that node's workers.
    """

    name = models.CharField(max_length=64)
    node = models.CharField(max_length=200, blank=True, default="")
    every_seconds = models.PositiveIntegerField()
    next_due_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    # The task queued last time (cluster jobs), to show its outcome and not to
    # queue another while it still waits or runs.
    last_task_id = models.CharField(max_length=64, blank=True, default="")
    last_run_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["name", "node"], name="ops_scheduledjob_name_node_unique"
            )
        ]
        indexes = [models.Index(fields=["next_due_at"], name="ops_job_next_due_idx")]

    def __str__(self) -> str:
        return f"{self.name}@{self.node}" if self.node else self.name


class WorkerBeat(models.Model):
    """The last sign of life of one `ondas worker` (``ops.lease``).

    Each worker writes its row every few seconds from a thread of its own, also
    while a task runs. A running task whose worker has not written for a lease
    was left by a worker that died (killed with -9, its node lost): another
    worker queues it again, if the task may run twice.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    node = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.node}, pid {self.pid})"
