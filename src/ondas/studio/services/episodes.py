"""Episodes made and edited in the studio.

The rules are the catalog's (``catalog.services.authored`` for create and
edit, ``lifecycle`` for publishing, ``chapter_editor``, ``transcripts``); the
studio adds its own check on the audio: an episode only takes audio that came
from an upload of the person saving it, or the audio it already has
(``upload_audio_get_for_user``), never a file of another creator's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from django.db import transaction

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show, Transcript
from ondas.catalog.services.authored import (
    PublishWhen,
    episode_managed_fields,
    managed_fields_refuse,
    studio_episode_create,
    studio_episode_update,
)
from ondas.catalog.services.chapter_editor import ChapterRow, chapter_rows_prefill
from ondas.catalog.services.lifecycle import episode_publish, episode_unpublish
from ondas.core import clock
from ondas.core.timefmt import format_clock
from ondas.studio.uploads.selectors import (
    audio_file_chapters,
    upload_audio_get_for_user,
)

logger = logging.getLogger(__name__)


class _EpisodeFields(TypedDict):
    """What the catalog's create and edit of an episode both take."""

    title: str
    description: str
    season: int | None
    number: int | None
    kind: str
    access: str
    audio_id: int | None


@dataclass(frozen=True)
class EpisodeInput:
    """What the studio's episode form gives. ``when`` is None for an episode
    already out (its publication is not changed by an edit)."""

    title: str
    description: str = ""
    season: int | None = None
    number: int | None = None
    kind: str = Episode.Kind.FULL
    access: str = Episode.Access.FREE
    audio_id: int | None = None
    when: PublishWhen | None = PublishWhen.DRAFT
    at: datetime | None = None


@transaction.atomic
def episode_save_in_studio(
    *,
    show: Show,
    episode: Episode | None,
    data: EpisodeInput,
    acting_user: User,
    now: datetime | None = None,
) -> Episode:
    """Create an episode of ``show`` (``episode`` None) or save an edit of it,
    then publish it now, schedule it, or keep it unpublished, as ``data.when``
    says.

    Raise UploadAudioRefused for audio that is neither from the person's own
    uploads nor the episode's; the catalog's errors otherwise
    (FieldsManagedByFeed, EpisodeNeedsAudio, EpisodeTimePast). Nothing is
    saved when any of them is raised.
    """
    now = now or clock.now()
    audio_id = None
    if data.audio_id is not None:
        audio_id = upload_audio_get_for_user(
            user=acting_user, audio_id=data.audio_id, episode=episode
        ).pk
    # What create and edit both write, as the catalog's services name it.
    fields: _EpisodeFields = {
        "title": data.title,
        "description": data.description,
        "season": data.season,
        "number": data.number,
        "kind": data.kind,
        "access": data.access,
        "audio_id": audio_id,
    }
    if episode is None:
        created = studio_episode_create(
            show=show,
            **fields,
            when=data.when or PublishWhen.DRAFT,
            at=data.at,
            now=now,
        )
        logger.info("Episode %s created by user %s", created.pk, acting_user.pk)
        return created
    row = studio_episode_update(episode=episode, **fields)
    row = _publication_change(row, when=data.when, at=data.at, now=now)
    logger.info("Episode %s edited by user %s", row.pk, acting_user.pk)
    return row


def _publication_change(
    episode: Episode, *, when: PublishWhen | None, at: datetime | None, now: datetime
) -> Episode:
    """Publish, reschedule or hold back an edited episode, as the form asks."""
    live = episode.is_listed(now=now)
    if when is None or live:
        return episode  # out already: only an unpublish takes it back
    published = episode.status == Episode.Status.PUBLISHED
    if when == PublishWhen.DRAFT:
        # A scheduled episode nobody has heard yet goes back to waiting.
        return episode_unpublish(episode=episode) if published else episode
    if when == PublishWhen.AT and published and at == episode.published_at:
        return episode
    return episode_publish(
        episode=episode, at=at if when == PublishWhen.AT else None, now=now
    )


def chapter_rows_initial(*, episode: Episode) -> list[ChapterRow]:
    """The chapter editor's first rows: the episode's chapters; else the ID3
    chapters of its audio; else those its description's timestamps give."""
    if episode.audio is not None and not episode.chapters.exists():
        found = audio_file_chapters(audio=episode.audio)
        if found:
            return [
                ChapterRow(format_clock(c.start_seconds), c.title, c.url) for c in found
            ]
    return chapter_rows_prefill(episode=episode)


@transaction.atomic
def episode_transcript_remove(*, transcript: Transcript) -> None:
    """Remove a transcript the studio uploaded, and its file once committed.

    Raise FieldsManagedByFeed when the show's feed gives the transcripts.
    """
    managed_fields_refuse(
        {"transcripts"}, episode_managed_fields(episode=transcript.episode)
    )
    storage, name, pk = transcript.file.storage, transcript.file.name, transcript.pk
    transcript.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
    logger.info("Transcript %s removed", pk)
