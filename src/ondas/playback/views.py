from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from ondas.catalog.models import Episode
from ondas.catalog.selectors import audio_file_get_with_access
from ondas.core import clock
from ondas.playback.access import may_play
from ondas.playback.delivery import accel_redirect, serve_file
from ondas.playback.errors import (
    AudioMissingOnDisk,
    AudioNotFound,
    SubscriptionRequired,
)

logger = logging.getLogger(__name__)


@require_safe
def audio_view(request: HttpRequest, audio_id: int, ext: str = "") -> HttpResponseBase:
    """Serve an audio file by id, with byte ranges and validators."""
    found = audio_file_get_with_access(audio_id=audio_id)
    if found is None:
        raise AudioNotFound(audio_id=audio_id)
    audio, access = found
    if not may_play(user=request.user, access=access, now=clock.now()):
        return _refused(request, SubscriptionRequired(audio_id=audio_id))
    # Exclusive audio is for one listener: no shared cache keeps it, and the
    # browser asks again, so the right to listen is checked each time.
    cache_control = (
        "public, max-age=86400"
        if access == Episode.Access.FREE
        else "private, no-cache"
    )
    filename = audio.file.name.rsplit("/", 1)[-1]
    try:
        if settings.ONDAS_AUDIO_ACCEL_PREFIX:  # nginx sends the bytes
            return accel_redirect(
                path=audio.file.path,
                media_root=str(settings.MEDIA_ROOT),
                prefix=settings.ONDAS_AUDIO_ACCEL_PREFIX,
                content_type=audio.mime_type,
                filename=filename,
                cache_control=cache_control,
            )
        return serve_file(
            request,
            path=audio.file.path,
            file_id=audio.pk,
            content_type=audio.mime_type,
            filename=filename,
            cache_control=cache_control,
        )
    except FileNotFoundError:
        # The row outlived its bytes: an operator must know, a listener must not
        # see a traceback.
        logger.error(
            "Audio file %s is missing on disk at %s", audio.pk, audio.file.name
        )
        raise AudioMissingOnDisk(audio_id=audio_id) from None


def _refused(request: HttpRequest, error: SubscriptionRequired) -> HttpResponse:
    """The refusal as a page, kept by no cache: the answer changes on subscribing."""
    status = error.http_status
    response = render(
        request, "ondas/error.html", {"error": error, "status": status}, status=status
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
