"""What runs beside django-tasks-db's worker loop in every `ondas worker`.

Two daemon threads, each with its own database connection: one writes the
worker's heartbeat (``ops.lease``) every quarter of the lease, also while the
main thread runs a long task; the other, every ``ONDAS_JOBS_TICK_SECONDS``,
queues the periodic jobs that are due (``ops.jobs``), runs this node's own
and requeues what dead workers left running. They die with the process: a
worker killed with -9 stops beating, which is the point.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils.crypto import get_random_string

from ondas.core import clock
from ondas.ops.jobs import jobs_tick
from ondas.ops.lease import (
    beat_interval,
    node_name,
    tasks_reap,
    worker_beat,
    worker_gone,
)

logger = logging.getLogger(__name__)


def worker_id_make() -> str:
    """A worker id that says where it runs: node, pid, and a random part."""
    return f"{node_name()[:40]}-{os.getpid()}-{get_random_string(8)}"[:64]


def _loop(name: str, every: float, step: Callable[[], None]) -> None:
    while True:
        try:
            step()
        except Exception:  # noqa: BLE001 - a busy database, a bad round: next time
            logger.exception("ondas worker: %s failed", name)
        finally:
            close_old_connections()
        time.sleep(every)


def schedule_round(*, worker_id: str) -> None:
    """One look at the schedule and at abandoned tasks."""
    now = clock.now()
    reaped = tasks_reap(now=now)
    tick = jobs_tick(worker_id=worker_id, now=now)
    if tick.queued or tick.ran_here or reaped.requeued or reaped.failed:
        logger.info(
            "ondas worker %s: queued %s, ran %s, requeued %s, failed %s",
            worker_id,
            tick.queued,
            tick.ran_here,
            reaped.requeued,
            reaped.failed,
        )


def _forget(worker_id: str) -> None:
    try:
        worker_gone(worker_id=worker_id)
    except DatabaseError:
        logger.warning("ondas worker %s: beat not removed at exit", worker_id)


def minder_start(*, worker_id: str, schedule: bool = True) -> None:
    """Beat once now (before the first claim), then start the threads; a
    worker that stops cleanly removes its beat."""
    worker_beat(worker_id=worker_id, now=clock.now())
    connection.close()
    atexit.register(_forget, worker_id)

    def beat() -> None:
        worker_beat(worker_id=worker_id, now=clock.now())

    threading.Thread(
        target=_loop,
        args=("heartbeat", beat_interval(), beat),
        name="ondas-heartbeat",
        daemon=True,
    ).start()
    if schedule:
        threading.Thread(
            target=_loop,
            args=(
                "schedule",
                float(settings.ONDAS_JOBS_TICK_SECONDS),
                lambda: schedule_round(worker_id=worker_id),
            ),
            name="ondas-schedule",
            daemon=True,
        ).start()
