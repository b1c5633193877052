"""Helpers for management commands."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError

from ondas.core.clock import now as clock_now


def now_option(value: str | None) -> datetime:
    """The time a command acts at: ``--now`` (ISO 8601, with a zone) or now."""
    if not value:
        return clock_now()
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: {exc}") from None
    if when.tzinfo is None:
        raise CommandError("--now needs a time zone, e.g. 2026-01-01T00:00+00:00")
    return when
