"""Reads of the studio's episode pages: a show's episodes by state, with counts.

The states are the studio's names for ``catalog.visibility``'s rule: a draft,
a scheduled episode (published, its time still to come), a published one (on
the public pages now) and an unpublished one. Deleted episodes are not in the
studio any more (listeners' history still names them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Episode, Show, Transcript
from ondas.catalog.visibility import episode_listed_q, episode_upcoming_q
from ondas.studio.errors import StudioNotFound

Status = Episode.Status

# The list's filters, in the order the page shows them.
STATES = ("draft", "scheduled", "published", "unpublished")
STATE_LABELS = {
    "draft": _("Drafts"),
    "scheduled": _("Scheduled"),
    "published": _("Published"),
    "unpublished": _("Unpublished"),
}


def episode_state_q(*, state: str, now: datetime) -> Q:
    """Episodes in one of ``STATES`` at ``now``."""
    if state == "draft":
        return Q(status=Status.DRAFT)
    if state == "scheduled":
        return episode_upcoming_q(now=now)
    if state == "published":
        return episode_listed_q(now=now)
    if state == "unpublished":
        return Q(status=Status.UNPUBLISHED)
    raise ValueError(f"unknown state: {state!r}")


def episode_state(*, episode: Episode, now: datetime) -> str:
    """The episode's state as the studio names it (one of ``STATES``, or
    ``"deleted"``)."""
    if episode.status == Status.PUBLISHED:
        return "published" if episode.published_at <= now else "scheduled"
    return str(episode.status)


@dataclass(frozen=True)
class EpisodeCounts:
    draft: int
    scheduled: int
    published: int
    unpublished: int

    @property
    def total(self) -> int:
        return self.draft + self.scheduled + self.published + self.unpublished


def episode_counts(*, show: Show, now: datetime) -> EpisodeCounts:
    """How many episodes of the show are in each state; one query."""
    counts = Episode.objects.filter(show=show).aggregate(
        **{
            state: Count("pk", filter=episode_state_q(state=state, now=now))
            for state in STATES
        }
    )
    return EpisodeCounts(**{state: counts[state] or 0 for state in STATES})


def episode_list_for_studio(
    *, show: Show, now: datetime, state: str = ""
) -> QuerySet[Episode]:
    """The show's episodes (all but deleted ones, or those in ``state``),
    latest publication time first: scheduled ones, still to come, on top."""
    episodes = Episode.objects.filter(show=show).exclude(status=Status.DELETED)
    if state:
        episodes = episodes.filter(episode_state_q(state=state, now=now))
    return episodes.order_by("-published_at", "-pk")


def episode_get_for_studio(*, show: Show, episode_id: int) -> Episode:
    """The episode of ``show`` (not deleted), with its audio; raise
    StudioNotFound for any other id, another show's episode included."""
    episode = (
        Episode.objects.filter(show=show, pk=episode_id)
        .exclude(status=Status.DELETED)
        .select_related("audio", "show")
        .first()
    )
    if episode is None:
        raise StudioNotFound()
    return episode


def episode_transcripts(*, episode: Episode) -> list[Transcript]:
    """The episode's transcripts, in feed order."""
    return list(Transcript.objects.filter(episode=episode).order_by("position", "pk"))


def episode_transcript_get(*, episode: Episode, transcript_id: int) -> Transcript:
    """A transcript of ``episode``; raise StudioNotFound for any other id."""
    transcript = Transcript.objects.filter(episode=episode, pk=transcript_id).first()
    if transcript is None:
        raise StudioNotFound()
    return transcript
