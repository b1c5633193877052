"""Background work of search: transcribing an episode (``search.transcribe``).

``ondas transcribe --queue`` enqueues one task per episode; the worker
(``ondas worker``) runs them one at a time, so a long episode holds a single
worker and the model is loaded once per worker process.
"""

from __future__ import annotations

import logging

from django_tasks import task

from ondas.catalog.models import Episode
from ondas.core.errors import OndasError
from ondas.search.transcribe import episode_transcribe

logger = logging.getLogger(__name__)


@task()
def episode_transcribe_task(
    *, episode_id: int, replace: bool = False, force_language: bool = False
) -> int | None:
    """Transcribe an episode; return its new transcript's id, or None when it
    was gone or refused (the reason is logged)."""
    episode = Episode.objects.select_related("show", "audio").filter(pk=episode_id)
    found = episode.first()
    if found is None:
        logger.info("Episode %s is gone; not transcribed", episode_id)
        return None
    try:
        transcript = episode_transcribe(
            episode=found, replace=replace, force_language=force_language
        )
    except OndasError as exc:
        logger.warning("Episode %s not transcribed: %s", episode_id, exc.message)
        return None
    return transcript.pk
