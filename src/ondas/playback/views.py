from __future__ import annotations

import logging

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from ondas.catalog.selectors import audio_file_get
from ondas.playback.delivery import serve_file
from ondas.playback.errors import AudioMissingOnDisk, AudioNotFound

logger = logging.getLogger(__name__)


@require_safe
def audio_view(request: HttpRequest, audio_id: int, ext: str = "") -> HttpResponseBase:
    """Serve an audio file by id, with byte ranges and validators."""
    audio = audio_file_get(audio_id=audio_id)
    if audio is None:
        raise AudioNotFound(audio_id=audio_id)
    try:
        return serve_file(
            request,
            path=audio.file.path,
            file_id=audio.pk,
            content_type=audio.mime_type,
            filename=audio.file.name.rsplit("/", 1)[-1],
            cache_control="public, max-age=86400",
        )
    except FileNotFoundError:
        # The row outlived its bytes: an operator must know, a listener must not
        # see a traceback.
        logger.error("Audio file %s is missing on disk at %s", audio.pk, audio.file.name)
        raise AudioMissingOnDisk(audio_id=audio_id) from None
