"""Transcripts a creator uploads: checked, stored, and listed for the feeds.

The file is read first (``catalog.transcript_files``): a bad one is refused
with the line to fix, and nothing is stored. A good one goes to media storage
through Django's storage API (``Transcript.file``), so S3 works by settings,
and its row has no ``url``: Ondas serves it from its own address (the view is
``playback``'s, which may ask whether a listener may hear an exclusive
episode; catalog may not). A new upload in the same format and language
replaces the one before it.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from ondas.catalog.errors import EpisodeStateInvalid
from ondas.catalog.models import Episode, Transcript
from ondas.catalog.services.authored import (
    episode_managed_fields,
    managed_fields_refuse,
)
from ondas.catalog.transcript_files import transcript_file_read

logger = logging.getLogger(__name__)

# The largest transcript accepted, unless settings say otherwise.
MAX_TRANSCRIPT_BYTES = 5_000_000


def _max_bytes() -> int:
    return int(getattr(settings, "ONDAS_TRANSCRIPT_MAX_BYTES", MAX_TRANSCRIPT_BYTES))


def episode_transcript_upload(
    *, episode: Episode, name: str, data: bytes, language: str = ""
) -> Transcript:
    """Check and store an uploaded WebVTT or SRT transcript of ``episode``.

    Raise TranscriptInvalid (the line and the reason) and store nothing for
    a bad file; FieldsManagedByFeed when the show's feed gives its
    transcripts; EpisodeStateInvalid for a deleted episode. ``language`` is a
    BCP 47 tag, "" for the show's.
    """
    if episode.status == Episode.Status.DELETED:
        raise EpisodeStateInvalid(
            episode_id=episode.pk,
            status=episode.get_status_display(),
            action="transcript",
        )
    managed_fields_refuse({"transcripts"}, episode_managed_fields(episode=episode))
    parsed = transcript_file_read(data, max_bytes=_max_bytes(), name=name)
    transcript = Transcript(
        episode=episode,
        mime_type=parsed.mime_type,
        language=language,
        rel="captions",
    )
    transcript.full_clean(exclude=["file", "url", "position"])
    transcript.file.save(
        f"{uuid.uuid4().hex}.{parsed.extension}", ContentFile(data), save=False
    )
    stored = transcript.file.name
    try:
        replaced = _save(transcript)
    except BaseException:
        transcript.file.storage.delete(stored)
        raise
    storage = transcript.file.storage

    def forget_replaced() -> None:
        for old in replaced:
            storage.delete(old)

    if replaced:
        transaction.on_commit(forget_replaced)
    logger.info(
        "Transcript %s stored for episode %s (%s cues)",
        transcript.pk,
        episode.pk,
        len(parsed.cues),
    )
    return transcript


@transaction.atomic
def _save(transcript: Transcript) -> list[str]:
    """Save the row, replacing stored ones of the same format and language;
    return the names of the files they had."""
    same = Transcript.objects.filter(
        episode_id=transcript.episode_id,
        url="",
        mime_type=transcript.mime_type,
        language=transcript.language,
    )
    replaced = [t.file.name for t in same if t.file.name]
    same.delete()
    last = (
        Transcript.objects.filter(episode_id=transcript.episode_id)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    transcript.position = 0 if last is None else last + 1
    transcript.save()
    return replaced
