"""A show's trailer, and deleting a whole show.

The trailer is the episode whose type is ``trailer`` (``Episode.Kind``):
feeds already publish it as ``<itunes:episodeType>trailer`` and the show page
marks it. Choosing one makes any other trailer of the show a full episode
again, so a show has at most one trailer chosen in the studio. For a show
that follows its RSS feed the episode type is the feed's
(``FieldsManagedByFeed``).

Deleting a show is for good: its row goes, and with it its episodes, their
chapters and transcripts, follows, private feeds and studio members (all
cascade from the show). Stored files nothing else uses (audio, transcripts,
artwork) are removed once the deletion is committed. Listeners' history keeps
its lines (``catalog.selectors.episode_list_for_history`` names an episode
with no row left as no longer available).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from ondas.catalog.models import (
    Audiobook,
    AudiobookPart,
    AudioFile,
    Episode,
    Show,
    Transcript,
)
from ondas.catalog.services.authored import (
    episode_managed_fields,
    managed_fields_refuse,
)
from ondas.catalog.services.lifecycle import episode_loss_counter
from ondas.core import clock

logger = logging.getLogger(__name__)

Kind = Episode.Kind


def show_trailer_get(*, show: Show) -> Episode | None:
    """The show's trailer: its newest episode of type trailer, if any."""
    return (
        Episode.objects.filter(show=show, kind=Kind.TRAILER)
        .exclude(status=Episode.Status.DELETED)
        .order_by("-published_at", "-pk")
        .first()
    )


@transaction.atomic
def show_trailer_set(*, show: Show, episode: Episode | None) -> Episode | None:
    """Make ``episode`` (one of the show's) its trailer, or with None leave
    the show without one; other trailers become full episodes again."""
    locked = Show.objects.select_for_update(of=("self",)).get(pk=show.pk)
    if episode is not None and episode.show_id != locked.pk:
        raise ValueError("The trailer must be an episode of the show.")
    others = Episode.objects.filter(show=locked, kind=Kind.TRAILER)
    if episode is not None:
        others = others.exclude(pk=episode.pk)
    changes: list[tuple[Episode, str]] = [(other, Kind.FULL) for other in others]
    if episode is not None and episode.kind != Kind.TRAILER:
        changes.append((episode, Kind.TRAILER))
    for row, _kind in changes:
        managed_fields_refuse({"kind"}, episode_managed_fields(episode=row))
    for row, kind in changes:
        row.kind = kind
        row.save(update_fields=["kind", "updated_at"])
    logger.info(
        "Show %s: trailer is episode %s",
        locked.pk,
        episode.pk if episode is not None else None,
    )
    return episode


@dataclass(frozen=True)
class ShowLoss:
    """What listeners lose if the show is deleted now."""

    episodes: int  # episodes listeners can see now
    followers: int
    private_feeds: int  # live ones
    in_progress: int  # listeners part-way through one of its episodes


def show_loss(*, show: Show, now: datetime | None = None) -> ShowLoss:
    """Count what deleting ``show`` takes from listeners, for the confirmation."""
    now = now or clock.now()
    episodes = list(Episode.objects.filter(show=show).exclude(status="deleted"))
    progress = episode_loss_counter(kind="in_progress")
    return ShowLoss(
        episodes=sum(1 for e in episodes if e.is_listed(now=now)),
        followers=show.follows.count(),
        private_feeds=show.private_feed_keys.filter(revoked_at__isnull=True).count(),
        in_progress=sum(progress(e) for e in episodes) if progress else 0,
    )


@transaction.atomic
def show_delete(*, show: Show) -> None:
    """Delete the show and all that hangs from it, for good (see the module)."""
    locked = Show.objects.select_for_update(of=("self",)).get(pk=show.pk)
    audio_ids = set(
        Episode.objects.filter(show=locked, audio__isnull=False).values_list(
            "audio_id", flat=True
        )
    )
    files: list[tuple[object, str]] = [
        (t.file.storage, t.file.name)
        for t in Transcript.objects.filter(episode__show=locked).exclude(file="")
    ]
    if locked.artwork:
        files.append((locked.artwork.storage, locked.artwork.name))
    title = locked.title
    locked.delete()
    # What only this show's episodes used: no other episode, no book.
    used = (
        Q(pk__in=Episode.objects.filter(audio__isnull=False).values("audio_id"))
        | Q(pk__in=AudiobookPart.objects.values("audio_id"))
        | Q(
            pk__in=Audiobook.objects.filter(sample_audio__isnull=False).values(
                "sample_audio_id"
            )
        )
    )
    for audio in AudioFile.objects.filter(pk__in=audio_ids).exclude(used):
        if audio.file.name:
            files.append((audio.file.storage, audio.file.name))
        audio.delete()

    def remove() -> None:
        for storage, name in files:
            storage.delete(name)  # type: ignore[attr-defined]

    if files:
        transaction.on_commit(remove)
    logger.info("Show %s (%s) deleted with its episodes", show.pk, title)
