"""The creator's numbers in bulk (issue 14, item 3): a page of a show's
episodes with their downloads, plays and completion, and one episode's plays
per day. Roll-ups only, and a fixed number of queries whatever the number of
episodes (the per-episode reads of ``selectors`` cost one query each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet, Sum
from django.utils import timezone

from ondas.analytics.agents import AppFamily
from ondas.analytics.models import (
    DailyEpisodeDownloads,
    DailyEpisodePlays,
    DailyShowApps,
    EpisodeListening,
)
from ondas.analytics.selectors import Completion, DayDownloads, DayPlays
from ondas.catalog.models import Episode, Show


@dataclass(frozen=True)
class EpisodeNumbers:
    episode_id: int
    title: str
    published_on: date
    downloads: int
    plays: int
    completion: Completion


def show_episode_count(*, show: Show) -> int:
    """How many episodes the numbers list for the show (all but deleted ones)."""
    return _episodes(show).count()


def _episodes(show: Show) -> QuerySet[Episode]:
    return Episode.objects.filter(show=show).exclude(status=Episode.Status.DELETED)


def show_episode_numbers(
    *,
    show: Show,
    since: date,
    until: date,
    offset: int = 0,
    limit: int | None = None,
) -> list[EpisodeNumbers]:
    """The show's episodes, latest first, from ``offset`` (``limit`` of them,
    or all), each with its downloads and plays from ``since`` to ``until``
    (both included) and its completion (all time); four queries."""
    episodes = _episodes(show).order_by("-published_at", "-pk")
    rows = episodes.values_list("pk", "title", "published_at")
    page = list(rows[offset : offset + limit] if limit else rows[offset:])
    if not page:
        return []
    window = {"day__gte": since, "day__lte": until}
    if limit:
        which: dict[str, object] = {"episode_id__in": [pk for pk, _t, _p in page]}
    else:
        which = {"episode__show": show}
    downloads = dict(
        DailyEpisodeDownloads.objects.filter(**which, **window)
        .order_by()
        .values("episode_id")
        .annotate(total=Sum("downloads"))
        .values_list("episode_id", "total")
    )
    plays = dict(
        DailyEpisodePlays.objects.filter(**which, **window)
        .order_by()
        .values("episode_id")
        .annotate(total=Sum("plays"))
        .values_list("episode_id", "total")
    )
    listening = {
        episode: (players, completed)
        for episode, players, completed in EpisodeListening.objects.filter(
            **which
        ).values_list("episode_id", "players", "completed")
    }
    return [
        EpisodeNumbers(
            episode_id=pk,
            title=title,
            published_on=timezone.localdate(published_at),
            downloads=downloads.get(pk) or 0,
            plays=plays.get(pk) or 0,
            completion=Completion(*listening.get(pk, (0, 0))),
        )
        for pk, title, published_at in page
    ]


def _each_day(since: date, until: date) -> list[date]:
    return [
        date.fromordinal(n) for n in range(since.toordinal(), until.toordinal() + 1)
    ]


def episode_downloads_daily(
    *, episode: Episode, since: date, until: date
) -> list[DayDownloads]:
    """The episode's downloads per day, ``since`` to ``until``, zeros too."""
    rows = {
        day: (downloads, listeners)
        for day, downloads, listeners in DailyEpisodeDownloads.objects.filter(
            episode=episode, day__gte=since, day__lte=until
        ).values_list("day", "downloads", "listeners")
    }
    return [
        DayDownloads(day, *rows.get(day, (0, 0))) for day in _each_day(since, until)
    ]


def episode_plays_daily(
    *, episode: Episode, since: date, until: date
) -> list[DayPlays]:
    """The episode's plays per day, ``since`` to ``until``, zeros too.

    The roll-up keeps no unique listeners per episode and day; a play is
    already one listener's (at most one per listener, episode and day), so
    ``listeners`` equals ``plays``.
    """
    rows = dict(
        DailyEpisodePlays.objects.filter(
            episode=episode, day__gte=since, day__lte=until
        ).values_list("day", "plays")
    )
    return [
        DayPlays(day, rows.get(day, 0), rows.get(day, 0))
        for day in _each_day(since, until)
    ]


def episode_downloads_total(*, episode: Episode) -> int:
    """All the episode's downloads, every day counted; one query."""
    found = DailyEpisodeDownloads.objects.filter(episode=episode).aggregate(
        total=Sum("downloads")
    )
    return int(found["total"] or 0)


@dataclass(frozen=True)
class AppDownloads:
    app: str  # an AppFamily value
    downloads: int

    @property
    def label(self) -> str:
        return str(AppFamily(self.app).label)


def show_downloads_by_app(
    *, show: Show, since: date, until: date
) -> list[AppDownloads]:
    """The show's downloads from ``since`` to ``until`` (both included) per
    app family, most first; one grouped query."""
    rows = (
        DailyShowApps.objects.filter(show=show, day__gte=since, day__lte=until)
        .order_by()
        .values("app")
        .annotate(total=Sum("downloads"))
        .order_by("-total", "app")
        .values_list("app", "total")
    )
    return [AppDownloads(app, total) for app, total in rows if total]
