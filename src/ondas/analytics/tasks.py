"""The periodic ingest of `ondas serve`'s own delivery logs.

``analytics_serve_logs_ingest_task`` reads every worker's file under
``<ONDAS_DATA_DIR>/analytics``, rotates the big ones (renamed ``*.old``; the
worker opens a new file at its next write), deletes what is fully read and
no longer written (a dead worker's file, a rotated one) and forgets old
salts. The files are those of the node it runs on: the schedule (``ops.jobs``)
runs it on every node that has workers, and the listening roll-up once for the
whole cluster, every ``EVERY``.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django_tasks import task

from ondas.analytics.ingest import IngestReport, analytics_forget, log_ingest
from ondas.analytics.listening import episode_listening_recount, listening_rollup
from ondas.analytics.models import LogCursor
from ondas.analytics.servelog import serve_log_directory
from ondas.catalog.models import Episode
from ondas.core import clock

logger = logging.getLogger(__name__)

ROTATE_BYTES = 64 * 1024 * 1024
# A rotated file may still get a worker's last buffered write for a moment.
QUIET_SECONDS = 60.0
EVERY = timedelta(minutes=5)


def _pid_alive(path: Path) -> bool:
    try:
        pid = int(path.name.split("-", 1)[1].split(".", 1)[0])
    except (IndexError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fully_read(path: Path, size: int) -> bool:
    with path.open("rb") as stream:
        first = stream.readline()
    if not first.endswith(b"\n"):
        return size == 0
    import hashlib

    digest = hashlib.sha256(first).hexdigest()
    cursor = LogCursor.objects.filter(first_line_sha256=digest).first()
    return cursor is not None and cursor.offset >= size


def analytics_serve_logs_ingest(*, directory: Path | None = None) -> list[IngestReport]:
    """Ingest, rotate and tidy `ondas serve`'s delivery logs."""
    directory = directory or serve_log_directory(Path(settings.DATA_DIR))
    reports: list[IngestReport] = []
    if directory.is_dir():
        for path in sorted(
            [*directory.glob("serve-*.jsonl"), *directory.glob("*.old")]
        ):
            with path.open("rb") as stream:
                reports.append(log_ingest(stream=stream, name=str(path)))
            stat = path.stat()
            quiet = time.time() - stat.st_mtime >= QUIET_SECONDS
            if path.suffix == ".jsonl" and _pid_alive(path):
                if stat.st_size >= ROTATE_BYTES:
                    path.rename(path.with_name(f"{path.name}.{int(time.time())}.old"))
            elif quiet and _fully_read(path, stat.st_size):
                path.unlink()
    analytics_forget(now=clock.now())
    return reports


@task()
def analytics_serve_logs_ingest_task() -> int:
    """Ingest `ondas serve`'s delivery logs; return how many downloads counted."""
    reports = analytics_serve_logs_ingest()
    for report in reports:
        if report.malformed:
            logger.warning("%s: %s malformed line(s)", report.name, report.malformed)
    return sum(report.downloads for report in reports)


@task()
def listening_rollup_task() -> int:
    """Roll up the players' heard spans; return how many spans were read."""
    report = listening_rollup()
    return report.spans


@task()
def episode_listening_recount_task(*, episode_ids: list[int]) -> int:
    """Recount completion and chapter reach of these episodes (their chapters
    or duration changed); return how many were recounted."""
    episodes = list(Episode.objects.filter(pk__in=episode_ids).only("pk"))
    for episode in episodes:
        episode_listening_recount(episode=episode)
    return len(episodes)
