"""Liveness and readiness, as a load balancer or systemd asks for them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, connection

from ondas.ops.drain import is_draining


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str


def readiness_check() -> Readiness:
    """Ready when the server is not draining and the database answers."""
    if is_draining():
        return Readiness(False, "draining")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return Readiness(False, "database unavailable")
    return Readiness(True, "ready")
