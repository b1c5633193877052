"""Liveness and readiness, as a load balancer or systemd asks for them.

Ready means this node can do its work: it is not draining, the file system
of the data directory has ``ONDAS_MIN_FREE_MB`` free, and the database takes
a write (the heartbeat row, updated in place). A ``SELECT 1`` alone answers
happily from a full disk or a read-only database file.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction

from ondas.core import clock
from ondas.core.faults import FaultKind, connections_drop_faulty, fault_kind
from ondas.ops import metrics
from ondas.ops.drain import is_draining
from ondas.ops.models import Heartbeat

MIB = 1 << 20
HEARTBEAT_ID = 1


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str


@dataclass(frozen=True)
class StorageState:
    """What the storage check found: free space, and whether a write went in."""

    free_bytes: int | None
    min_free_bytes: int
    heartbeat_ok: bool
    problem: str  # empty when all is well

    @property
    def ok(self) -> bool:
        return not self.problem


def free_bytes(path: str) -> int | None:
    """Free bytes for unprivileged users on the file system holding ``path``."""
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def heartbeat_write() -> str:
    """Update the heartbeat row; return what failed, or "" when it was written."""
    now = clock.now()
    by = f"{socket.gethostname()}:{os.getpid()}"[:200]
    try:
        # One short transaction of its own: on SQLite its BEGIN IMMEDIATE takes
        # the write lock, as every write of a request does.
        with transaction.atomic():
            row = Heartbeat.objects.filter(pk=HEARTBEAT_ID)
            if not row.update(beat_at=now, beat_by=by):
                Heartbeat.objects.create(pk=HEARTBEAT_ID, beat_at=now, beat_by=by)
    except (DatabaseError, OSError) as exc:
        kind = fault_kind(exc)
        if kind is not FaultKind.BUSY:
            connections_drop_faulty()  # the next check starts from a fresh one
        return {
            None: "database unavailable",
            FaultKind.BUSY: "database busy",
            FaultKind.DISK_FULL: "database disk full",
            FaultKind.READ_ONLY: "database read-only",
            FaultKind.IO_ERROR: "database disk I/O error",
            FaultKind.UNAVAILABLE: "database unavailable",
        }[kind]
    return ""


def storage_check() -> StorageState:
    """Check free space and write the heartbeat; record both in ``/metrics``."""
    minimum = settings.ONDAS_MIN_FREE_MB * MIB
    free = free_bytes(str(settings.DATA_DIR))
    problem = heartbeat_write()
    heartbeat_ok = not problem
    if free is not None and free < minimum:
        problem = problem or (
            f"low disk space: {free // MIB} MiB free in {settings.DATA_DIR}, "
            f"{settings.ONDAS_MIN_FREE_MB} MiB needed"
        )
    metrics.storage_observe(free_bytes=free, heartbeat_ok=heartbeat_ok)
    return StorageState(
        free_bytes=free,
        min_free_bytes=minimum,
        heartbeat_ok=heartbeat_ok,
        problem=problem,
    )


def readiness_check() -> Readiness:
    """Ready when not draining, with free space, and the database takes a write."""
    if is_draining():
        return Readiness(False, "draining")
    storage = storage_check()
    if not storage.ok:
        return Readiness(False, storage.problem)
    return Readiness(True, "ready")
