"""Downloads and listening as the studio and payouts read them: from the
roll-ups only, never the delivery logs or the players' raw spans."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from ondas.accounts.models import User
from ondas.analytics.models import (
    ChapterReach,
    DailyEpisodeDownloads,
    DailyShowDownloads,
    DailyShowPlays,
    EpisodeListening,
    ListeningDay,
)
from ondas.catalog.models import Chapter, Episode, Show


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
    # Plain tuples: a year of model instances cost the numbers page more
    # than its queries.
    rows = {
        day: (downloads, listeners)
        for day, downloads, listeners in DailyShowDownloads.objects.filter(
            show=show, day__gte=since, day__lte=until
        ).values_list("day", "downloads", "listeners")
    }
    return [
        DayDownloads(date.fromordinal(n), *rows.get(date.fromordinal(n), (0, 0)))
        for n in range(since.toordinal(), until.toordinal() + 1)
    ]


def episode_downloads(*, episode: Episode) -> EpisodeDownloads:
    """The episode's downloads in all, and per day that had any (oldest first)."""
    rows = DailyEpisodeDownloads.objects.filter(episode=episode).order_by("day")
    days = [
        DayDownloads(day=row.day, downloads=row.downloads, listeners=row.listeners)
        for row in rows
    ]
    total = rows.aggregate(total=Sum("downloads"))["total"] or 0
    return EpisodeDownloads(downloads=total, days=days)


# Listening (the players' reports, rolled up by analytics.listening) -----------


@dataclass(frozen=True)
class DayPlays:
    day: date
    plays: int
    listeners: int


@dataclass(frozen=True)
class Completion:
    """An episode's players (a play on some day) and how many completed it."""

    players: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.players if self.players else None


@dataclass(frozen=True)
class ChapterDropoff:
    index: int  # 1-based
    title: str
    start_seconds: float
    listeners: int
    # Of those who reached the chapter before this one, the share who reached
    # this one (None for the first chapter, or after a chapter nobody reached).
    kept: float | None


@dataclass(frozen=True)
class ListeningDayRow:
    """What payouts read: one listener's audio of one item on one day."""

    user_id: int
    episode_id: int | None
    audiobook_id: int | None
    day: date
    audio_seconds: float
    wall_seconds: float
    played: bool


def show_plays_daily(*, show: Show, since: date, until: date) -> list[DayPlays]:
    """Plays and unique listeners of the show's episodes per day, ``since`` to
    ``until`` (both included), zeros too."""
    rows = {
        day: (plays, listeners)
        for day, plays, listeners in DailyShowPlays.objects.filter(
            show=show, day__gte=since, day__lte=until
        ).values_list("day", "plays", "listeners")
    }
    return [
        DayPlays(date.fromordinal(n), *rows.get(date.fromordinal(n), (0, 0)))
        for n in range(since.toordinal(), until.toordinal() + 1)
    ]


def episode_completion(*, episode: Episode) -> Completion:
    """How many of the episode's players heard at least 95 % of it."""
    row = EpisodeListening.objects.filter(episode=episode).first()
    return Completion(
        players=row.players if row else 0, completed=row.completed if row else 0
    )


def episode_dropoff(*, episode: Episode) -> list[ChapterDropoff]:
    """For each of the episode's chapters, in order, how many listeners reached it."""
    reach = dict(
        ChapterReach.objects.filter(episode=episode).values_list(
            "start_seconds", "listeners"
        )
    )
    dropoff: list[ChapterDropoff] = []
    previous: int | None = None
    chapters = Chapter.objects.filter(episode=episode).order_by("start_seconds")
    for index, chapter in enumerate(chapters, start=1):
        listeners = reach.get(chapter.start_seconds, 0)
        kept = listeners / previous if previous else None
        dropoff.append(
            ChapterDropoff(
                index=index,
                title=chapter.title,
                start_seconds=chapter.start_seconds,
                listeners=listeners,
                kept=kept,
            )
        )
        previous = listeners
    return dropoff


def listening_for_period(*, start: date, end: date) -> Iterator[ListeningDayRow]:
    """Every listener's audio per item and day from ``start`` up to, not
    including, ``end`` (days in the operator's time zone), by day then user."""
    rows = (
        ListeningDay.objects.filter(day__gte=start, day__lt=end)
        .order_by("day", "user_id", "pk")
        .values_list(
            "user_id",
            "episode_id",
            "audiobook_id",
            "day",
            "audio_seconds",
            "wall_seconds",
            "played",
        )
    )
    for user, episode, book, day, audio, wall, played in rows.iterator(chunk_size=2000):
        yield ListeningDayRow(
            user_id=user,
            episode_id=episode,
            audiobook_id=book,
            day=day,
            audio_seconds=audio,
            wall_seconds=wall,
            played=played,
        )


def listening_days_for_export(*, user: User) -> list[dict[str, object]]:
    """What this person heard of each item on each day, for their data export."""
    rows = (
        ListeningDay.objects.filter(user=user)
        .select_related("episode__show", "audiobook")
        .order_by("day", "pk")
    )
    return [
        {
            "day": row.day,
            "kind": "episode" if row.episode_id else "audiobook",
            "show": row.episode.show.title if row.episode else None,
            "title": (row.episode or row.audiobook).title,  # type: ignore[union-attr]
            "audio_seconds": round(row.audio_seconds, 1),
            "wall_seconds": round(row.wall_seconds, 1),
            "played": row.played,
        }
        for row in rows
    ]
