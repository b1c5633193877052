"""`ondas jobs`: the schedule of periodic jobs, and the workers beating."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def _cmd_jobs(args: argparse.Namespace) -> int:
    from ondas.ops.cli_worker import _setup_django

    _setup_django()
    from django.core.exceptions import ImproperlyConfigured

    from ondas.ops.jobs import jobs_list, jobs_off
    from ondas.ops.lease import lease
    from ondas.ops.models import WorkerBeat

    try:
        jobs_off()
    except ImproperlyConfigured as exc:
        print(f"ondas jobs: {exc}", file=sys.stderr)
        return 2
    header = ("job", "node", "every", "next due (UTC)", "last start", "last", "state")
    rows = [header]
    for line in jobs_list():
        rows.append(
            (
                line.name,
                line.node or "(cluster)" if line.next_due_at else "",
                f"{line.every_seconds // 60} min",
                _when(line.next_due_at),
                _when(line.last_started_at),
                line.last_status or "-",
                "off (ONDAS_JOBS_OFF)" if line.off else "on",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )
    print()
    beats = list(WorkerBeat.objects.order_by("node", "started_at"))
    if not beats:
        print("No worker has beaten yet: start `ondas worker` to run the schedule.")
    from ondas.core import clock

    now = clock.now()
    for beat in beats:
        age = (now - beat.beat_at).total_seconds()
        state = "alive" if now - beat.beat_at < lease() else "gone"
        print(
            f"worker {beat.worker_id} on {beat.node} (pid {beat.pid}): "
            f"last beat {age:.0f} s ago, {state}"
        )
    return 0
