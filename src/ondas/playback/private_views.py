"""The enclosures of private feeds. Views stay thin."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from ondas.accounts.ratelimit import client_ip
from ondas.core import clock
from ondas.core.errors import OndasError
from ondas.playback.delivery import audio_deliver
from ondas.playback.private import CACHE_CONTROL, private_audio_get


@require_safe
def private_audio_view(
    request: HttpRequest, audio_id: int, token: str, ext: str
) -> HttpResponseBase:
    """Serve audio to a podcast app through the token of a private feed.

    Refusals are one plain sentence (403 when the subscription has ended, 404
    for an address that does not work): podcast apps show no pages.
    """
    try:
        audio = private_audio_get(
            audio_id=audio_id,
            token=token,
            client_ip=client_ip(request),
            app=request.headers.get("User-Agent", ""),
            now=clock.now(),
        )
        return audio_deliver(request, audio=audio, cache_control=CACHE_CONTROL)
    except OndasError as error:
        response = HttpResponse(
            error.message + "\n",
            status=error.http_status,
            content_type="text/plain; charset=utf-8",
        )
        response.headers["Cache-Control"] = "private, no-store"
        return response
