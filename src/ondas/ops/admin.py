"""The schedule and the workers' beats in the admin, to look at: the rows are
the workers' to write (``ops.jobs``, ``ops.lease``); turn a job off with
``ONDAS_JOBS_OFF``. A job's next time may be moved here (to run it now)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ondas.ops.models import ScheduledJob, WorkerBeat


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin[ScheduledJob]):
    list_display = ["name", "node", "every_seconds", "next_due_at", "last_started_at"]
    list_filter = ["name", "node"]
    readonly_fields = [
        "name",
        "node",
        "every_seconds",
        "last_started_at",
        "last_task_id",
        "last_run_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WorkerBeat)
class WorkerBeatAdmin(admin.ModelAdmin[WorkerBeat]):
    list_display = ["worker_id", "node", "pid", "started_at", "beat_at"]
    list_filter = ["node"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WorkerBeat | None = None
    ) -> bool:
        return False
