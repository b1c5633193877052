"""Stored transcripts, for the episode page and for podcast apps. Views stay thin."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from ondas.catalog.models import Episode
from ondas.core import clock
from ondas.playback.transcripts import (
    private_transcript_get,
    transcript_get_for_listener,
    transcript_response,
)


@require_safe
def transcript_view(request: HttpRequest, transcript_id: int) -> HttpResponseBase:
    """Serve a transcript to whoever may hear its episode."""
    transcript = transcript_get_for_listener(
        user=request.user, transcript_id=transcript_id, now=clock.now()
    )
    free = transcript.episode.access == Episode.Access.FREE
    return transcript_response(transcript, public=free)


@require_safe
def private_transcript_view(
    request: HttpRequest, transcript_id: int, token: str
) -> HttpResponseBase:
    """Serve a transcript to a podcast app through a private feed's token."""
    transcript = private_transcript_get(
        token=token, transcript_id=transcript_id, now=clock.now()
    )
    return transcript_response(transcript, public=False)
