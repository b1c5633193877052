"""The one clock Ondas reads.

Services take an explicit ``now`` so tests can move time; code that has no
``now`` at hand (views, tasks) asks ``clock.now()``. Tests that drive a real
server (the browser tests) move that clock with the ``ONDAS_CLOCK_SHIFT``
setting, a ``timedelta``; it is never read from the environment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.timezone import now as timezone_now


def now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    shift: timedelta = getattr(settings, "ONDAS_CLOCK_SHIFT", timedelta(0))
    return timezone_now() + shift
