"""Downloads as the studio will show them: read from the daily roll-ups only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from ondas.analytics.models import DailyEpisodeDownloads, DailyShowDownloads
from ondas.catalog.models import Episode, Show


@dataclass(frozen=True)
class DayDownloads:
    day: date
    downloads: int
    listeners: int


@dataclass(frozen=True)
class EpisodeDownloads:
    downloads: int
    days: list[DayDownloads]


def show_downloads_daily(*, show: Show, since: date, until: date) -> list[DayDownloads]:
    """One entry per day from ``since`` to ``until`` (both included), zeros too."""
    rows = {
        row.day: row
        for row in DailyShowDownloads.objects.filter(
            show=show, day__gte=since, day__lte=until
        )
    }
    days: list[DayDownloads] = []
    day = since
    while day <= until:
        row = rows.get(day)
        days.append(
            DayDownloads(
                day=day,
                downloads=row.downloads if row else 0,
                listeners=row.listeners if row else 0,
            )
        )
        day = date.fromordinal(day.toordinal() + 1)
    return days


def episode_downloads(*, episode: Episode) -> EpisodeDownloads:
    """The episode's downloads in all, and per day that had any (oldest first)."""
    rows = DailyEpisodeDownloads.objects.filter(episode=episode).order_by("day")
    days = [
        DayDownloads(day=row.day, downloads=row.downloads, listeners=row.listeners)
        for row in rows
    ]
    total = rows.aggregate(total=Sum("downloads"))["total"] or 0
    return EpisodeDownloads(downloads=total, days=days)
