"""Calendar arithmetic for billing periods."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(when: datetime, months: int) -> datetime:
    """Return ``when`` moved by whole months, clamping the day (31 Jan → 28/29 Feb)."""
    month_index = when.month - 1 + months
    year = when.year + month_index // 12
    month = month_index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def period_end(start: datetime, interval: str) -> datetime:
    """Return the end of the billing period that begins at ``start``."""
    return add_months(start, 12 if interval == "year" else 1)
