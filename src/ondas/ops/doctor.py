"""`ondas doctor`: what this installation can do, checked rather than assumed."""

from __future__ import annotations

import os
import platform
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import django
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, f"{platform.python_version()} (needs 3.11 or newer)")


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW server_version")
            else:
                cursor.execute("SELECT sqlite_version()")
            row = cursor.fetchone()
        version = row[0] if row else "?"
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return Check("database", False, f"{connection.vendor}: {exc}")
    detail = f"{connection.vendor} {version}"
    if pending:
        return Check(
            "database",
            False,
            f"{detail}; {len(pending)} migration(s) pending: run `ondas manage migrate`",
        )
    return Check("database", True, f"{detail}, migrations applied")


def check_media_writable() -> Check:
    root = Path(settings.MEDIA_ROOT)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".doctor-") as fh:
            fh.write(b"ok")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        return Check("media storage", False, f"{root} is not writable: {exc}")
    return Check("media storage", True, f"{root} is writable")


def check_sendfile() -> Check:
    """Send a file over a socket pair with sendfile(2), as Gunicorn will."""
    if not hasattr(os, "sendfile"):
        return Check("sendfile", False, "os.sendfile is missing: audio will be copied")
    payload = b"ondas" * 1000
    left, right = socket.socketpair()
    try:
        with tempfile.TemporaryFile() as fh:
            fh.write(payload)
            fh.flush()
            sent = os.sendfile(left.fileno(), fh.fileno(), 100, 4000)
        received = b""
        while len(received) < sent:
            received += right.recv(65536)
    except OSError as exc:
        return Check("sendfile", False, f"sendfile(2) failed: {exc}")
    finally:
        left.close()
        right.close()
    ok = received == payload[100:4100]
    detail = (
        "zero-copy sendfile(2) works; `ondas serve` (plain HTTP) sends audio with it"
        if ok
        else "sendfile(2) returned the wrong bytes"
    )
    return Check("sendfile", ok, detail)


def doctor_report() -> list[Check]:
    """Run every check and return the results in display order."""
    return [
        check_python(),
        Check("django", True, django.get_version()),
        check_database(),
        check_media_writable(),
        check_sendfile(),
    ]
