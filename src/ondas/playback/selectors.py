"""Reads of playback state: positions, bookmarks and what is left to hear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from ondas.accounts.models import User
from ondas.billing.selectors import listening_rights
from ondas.catalog.models import Audiobook, Episode
from ondas.catalog.selectors import EpisodeInHistory, episode_list_for_history
from ondas.playback.models import AllowanceUsage, Bookmark, ListeningProgress


@dataclass(frozen=True)
class Allowance:
    """A person's audiobook time in the current billing period."""

    total_seconds: int
    used_seconds: float
    period_start: datetime | None
    renews_at: datetime | None

    @property
    def left_seconds(self) -> float:
        return max(0.0, self.total_seconds - self.used_seconds)


def allowance_get(*, user: User, now: datetime) -> Allowance:
    """How much audiobook listening the person's plan holds now, and how much is used."""
    rights = listening_rights(user=user, now=now)
    if rights.period_start is None or not rights.audiobook_seconds_per_period:
        return Allowance(0, 0.0, None, None)
    usage = AllowanceUsage.objects.filter(
        user=user, period_start=rights.period_start
    ).first()
    return Allowance(
        total_seconds=rights.audiobook_seconds_per_period,
        used_seconds=usage.seconds if usage else 0.0,
        period_start=rights.period_start,
        renews_at=rights.period_end,
    )


def progress_get(*, user: User, kind: str, item_id: int) -> ListeningProgress | None:
    return ListeningProgress.objects.filter(
        user=user, kind=kind, item_id=item_id
    ).first()


def bookmark_list(*, user: User, audiobook: Audiobook) -> QuerySet[Bookmark]:
    return Bookmark.objects.filter(user=user, audiobook=audiobook)


def progress_count_for_episode(episode: Episode) -> int:
    """How many listeners have a place kept in the episode."""
    return ListeningProgress.objects.filter(
        kind=ListeningProgress.Kind.EPISODE, item_id=episode.pk
    ).count()


@dataclass(frozen=True)
class HistoryRow:
    """An episode the person listened to, and where they were."""

    progress: ListeningProgress
    episode: EpisodeInHistory


def episode_history_for_user(
    *, user: User, now: datetime, limit: int = 50
) -> list[HistoryRow]:
    """The episodes the person listened to, most recent first; one deleted or
    unpublished since stays, marked as no longer available."""
    progress = list(
        ListeningProgress.objects.filter(
            user=user, kind=ListeningProgress.Kind.EPISODE
        ).order_by("-played_at", "-pk")[:limit]
    )
    episodes = episode_list_for_history(
        episode_ids=[p.item_id for p in progress], now=now
    )
    return [HistoryRow(progress=p, episode=episodes[p.item_id]) for p in progress]


def progress_list_for_export(*, user: User) -> list[dict[str, object]]:
    """Where this person is in each episode and book, for their data export."""
    rows = list(ListeningProgress.objects.filter(user=user).order_by("pk"))
    episodes = dict(
        Episode.objects.filter(
            pk__in=[r.item_id for r in rows if r.kind == ListeningProgress.Kind.EPISODE]
        ).values_list("pk", "title")
    )
    books = dict(
        Audiobook.objects.filter(
            pk__in=[
                r.item_id for r in rows if r.kind == ListeningProgress.Kind.AUDIOBOOK
            ]
        ).values_list("pk", "title")
    )
    titles: dict[str, dict[int, str]] = {
        ListeningProgress.Kind.EPISODE: episodes,
        ListeningProgress.Kind.AUDIOBOOK: books,
    }
    return [
        {
            "kind": r.kind,
            "item_id": r.item_id,
            "title": titles.get(r.kind, {}).get(r.item_id),
            "position_seconds": r.position_seconds,
            "played_at": r.played_at,
            "device": r.device,
        }
        for r in rows
    ]


def bookmark_list_for_export(*, user: User) -> list[dict[str, object]]:
    """This person's audiobook bookmarks, for their data export."""
    rows = Bookmark.objects.filter(user=user).select_related("audiobook")
    return [
        {
            "audiobook": b.audiobook.title,
            "position_seconds": b.position_seconds,
            "note": b.note,
            "created_at": b.created_at,
        }
        for b in rows.order_by("created_at", "pk")
    ]
