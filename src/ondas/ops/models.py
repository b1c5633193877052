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
