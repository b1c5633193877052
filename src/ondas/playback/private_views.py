"""The enclosures of private feeds. Views stay thin."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from ondas.playback.private import private_audio_response


@require_safe
def private_audio_view(
    request: HttpRequest, audio_id: int, token: str, ext: str
) -> HttpResponseBase:
    """Serve audio to a podcast app through the token of a private feed."""
    return private_audio_response(request, audio_id=audio_id, token=token)
