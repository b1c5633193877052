"""An episode's lifecycle: draft, scheduled, published, unpublished, deleted.

``catalog.visibility`` says who sees each state; these services move an
episode between them, each in one transaction with the bump of its show's
content version (a status is a field a feed shows: ``catalog.versioning``).

Deleting is a soft delete (``Episode``'s docstring says why): the row stays,
hidden everywhere, so listeners' history can name it as no longer
available; its audio file, chapters and transcripts are freed, and its GUID
goes into ``EpisodeGuidTombstone`` so that no new episode of the show takes
it.

What listeners lose by an unpublish or a delete is counted by the apps that
hold it (progress in ``playback``, follows in ``library``, private feeds in
``feedkeys``): they sit above catalog, so each registers its counter here when
it starts (``episode_loss_counter_register``) rather than catalog importing
them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from ondas.catalog.errors import EpisodeNeedsAudio, EpisodeStateInvalid, EpisodeTimePast
from ondas.catalog.models import (
    Audiobook,
    AudiobookPart,
    AudioFile,
    Chapter,
    Episode,
    EpisodeGuidTombstone,
    Transcript,
)
from ondas.core import clock

logger = logging.getLogger(__name__)

Status = Episode.Status


def _locked(episode: Episode) -> Episode:
    return (
        Episode.objects.select_for_update(of=("self",))
        .select_related("show")
        .get(pk=episode.pk)
    )


def _refuse(episode: Episode, action: str) -> EpisodeStateInvalid:
    return EpisodeStateInvalid(
        episode_id=episode.pk,
        status=episode.get_status_display(),
        action=action,
    )


@transaction.atomic
def episode_publish(
    *, episode: Episode, at: datetime | None = None, now: datetime | None = None
) -> Episode:
    """Publish the episode now, or schedule it for ``at`` (still to come).

    A scheduled episode goes live at its time by itself: the listing rule
    compares ``published_at`` with the clock, and the show's
    ``next_publication_at`` makes its validators change then. Publishing
    needs audio; a deleted episode stays deleted.
    """
    now = now or clock.now()
    row = _locked(episode)
    if row.status == Status.DELETED:
        raise _refuse(row, "publish")
    if row.audio_id is None:
        raise EpisodeNeedsAudio(episode_id=row.pk)
    if at is not None and at <= now:
        raise EpisodeTimePast
    row.status = Status.PUBLISHED
    row.published_at = at or now
    row.save(update_fields=["status", "published_at", "updated_at"])
    logger.info("Episode %s published for %s", row.pk, row.published_at.isoformat())
    return row


@transaction.atomic
def episode_unpublish(*, episode: Episode) -> Episode:
    """Take a published (or scheduled) episode back from listeners.

    It keeps its GUID, its slug and its audio, and can be published again.
    """
    row = _locked(episode)
    if row.status != Status.PUBLISHED:
        raise _refuse(row, "unpublish")
    row.status = Status.UNPUBLISHED
    row.save(update_fields=["status", "updated_at"])
    logger.info("Episode %s unpublished", row.pk)
    return row


def _audio_still_used(audio_id: int, *, but: int) -> bool:
    return (
        Episode.objects.filter(audio_id=audio_id).exclude(pk=but).exists()
        or AudiobookPart.objects.filter(audio_id=audio_id).exists()
        or Audiobook.objects.filter(sample_audio_id=audio_id).exists()
    )


def _delete_files_on_commit(files: list[tuple[object, str]]) -> None:
    """Remove stored files once the rows that named them are gone for good."""

    def remove() -> None:
        for storage, name in files:
            storage.delete(name)  # type: ignore[attr-defined]

    if files:
        transaction.on_commit(remove)


@transaction.atomic
def episode_delete(*, episode: Episode, now: datetime | None = None) -> Episode:
    """Delete the episode for listeners for good; its GUID is never used again.

    The row stays as a soft-deleted one with its title (history shows it as
    no longer available); its audio file (unless another episode or a book
    uses it), chapters and transcripts are removed, files included.
    """
    now = now or clock.now()
    row = _locked(episode)
    if row.status == Status.DELETED:
        raise _refuse(row, "delete")
    files: list[tuple[object, str]] = []
    audio_id = row.audio_id
    row.status = Status.DELETED
    row.deleted_at = now
    row.audio = None
    row.save(update_fields=["status", "deleted_at", "audio", "updated_at"])
    if audio_id is not None and not _audio_still_used(audio_id, but=row.pk):
        audio = AudioFile.objects.get(pk=audio_id)
        if audio.file.name:
            files.append((audio.file.storage, audio.file.name))
        audio.delete()
    for transcript in Transcript.objects.filter(episode=row):
        if transcript.file.name:
            files.append((transcript.file.storage, transcript.file.name))
    Transcript.objects.filter(episode=row).delete()
    Chapter.objects.filter(episode=row).delete()
    EpisodeGuidTombstone.objects.get_or_create(
        show_id=row.show_id, guid=row.guid, defaults={"deleted_at": now}
    )
    _delete_files_on_commit(files)
    logger.info("Episode %s deleted (GUID retired)", row.pk)
    return row


# What listeners lose ----------------------------------------------------------

Counter = Callable[[Episode], int]
_COUNTERS: dict[str, Counter] = {}
LOSS_KINDS = ("in_progress", "followers", "private_feeds")


def episode_loss_counter_register(*, kind: str, count: Counter) -> None:
    """Let the app that holds ``kind`` (one of ``LOSS_KINDS``) count it."""
    if kind not in LOSS_KINDS:
        raise ValueError(f"unknown kind of loss: {kind!r}")
    _COUNTERS[kind] = count


def episode_loss_counter(*, kind: str) -> Counter | None:
    """The counter registered for ``kind``, if its app registered one."""
    return _COUNTERS.get(kind)


@dataclass(frozen=True)
class EpisodeLoss:
    """What listeners lose if the episode is unpublished or deleted now."""

    listed: bool  # listeners see it now
    in_progress: int  # listeners part-way through it
    followers: int  # people following the show
    private_feeds: int  # live private feeds of the show
    in_public_feed: bool
    in_private_feeds: bool
    frees_audio: bool  # a delete removes its audio file (nothing else uses it)


def episode_loss(*, episode: Episode, now: datetime | None = None) -> EpisodeLoss:
    """Count what a delete or unpublish of ``episode`` takes from listeners,
    for the confirmation page."""
    now = now or clock.now()
    counts = {
        kind: _COUNTERS[kind](episode) if kind in _COUNTERS else 0
        for kind in LOSS_KINDS
    }
    listed = episode.is_listed(now=now)
    has_audio = episode.audio_id is not None or hasattr(episode, "remote")
    return EpisodeLoss(
        listed=listed,
        in_progress=counts["in_progress"],
        followers=counts["followers"],
        private_feeds=counts["private_feeds"],
        in_public_feed=listed and has_audio and not episode.is_exclusive,
        in_private_feeds=listed and has_audio and counts["private_feeds"] > 0,
        frees_audio=episode.audio_id is not None
        and not _audio_still_used(episode.audio_id, but=episode.pk),
    )
