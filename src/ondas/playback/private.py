"""Audio through a private feed: podcast apps carry a token, not a session.

Every request resolves the token (billing), checks that the audio belongs to
a published episode of the key's show (catalog), counts the request towards
sharing detection (billing), and asks ``access.may_play`` whether the key's
person may hear exclusive episodes now: a private feed is what a plan with
exclusive shows gives, so when it ends, every enclosure stops playing at
once, free episodes' too.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse

from ondas.accounts.ratelimit import client_ip
from ondas.catalog.models import AudioFile, Episode
from ondas.catalog.selectors import audio_file_get_for_show
from ondas.core import clock
from ondas.core.delivery import LISTENER_KEY
from ondas.core.errors import OndasError
from ondas.feedkeys.errors import PrivateFeedNotFound
from ondas.feedkeys.selectors import feed_key_get_by_token
from ondas.feedkeys.services import feed_key_use_record
from ondas.playback.access import may_play
from ondas.playback.audio import audio_deliver
from ondas.playback.errors import AudioNotFound, PrivateFeedEnded

# One listener's audio: no shared cache keeps it, and apps ask again each time.
CACHE_CONTROL = "private, no-cache"


def private_audio_get(
    *, audio_id: int, token: str, client_ip: str, app: str, now: datetime
) -> tuple[AudioFile, int]:
    """Return the audio file a private feed's enclosure may send now, and the
    id of the key's person (its downloads are theirs).

    Raise PrivateFeedNotFound for an unknown or revoked token (or one this
    request made reset as shared), AudioNotFound for audio that is not the
    show's, and PrivateFeedEnded when the person may no longer listen.
    """
    key = feed_key_get_by_token(token=token)
    audio = audio_file_get_for_show(audio_id=audio_id, show_id=key.show_id, now=now)
    if audio is None:
        raise AudioNotFound(audio_id=audio_id)
    key = feed_key_use_record(key=key, client_ip=client_ip, app=app, now=now)
    if not key.is_live:
        raise PrivateFeedNotFound
    if not may_play(user=key.user, access=Episode.Access.EXCLUSIVE, now=now):
        plans = settings.SITE_URL + reverse("billing:plans")
        raise PrivateFeedEnded(plans_url=plans)
    return audio, key.user_id


def private_audio_response(
    request: HttpRequest, *, audio_id: int, token: str
) -> HttpResponseBase:
    """Answer a podcast app's request for an enclosure of its private feed.

    Refusals are one plain sentence (403 when the subscription has ended, 404
    for an address that does not work): podcast apps show no pages. Used by
    the view and by the lean audio path alike; nothing of it is ever kept
    between requests (every request is counted and asked anew).
    """
    try:
        audio, user_id = private_audio_get(
            audio_id=audio_id,
            token=token,
            client_ip=client_ip(request),
            app=request.headers.get("User-Agent", ""),
            now=clock.now(),
        )
        request.META[LISTENER_KEY] = user_id  # the delivery log's listener
        return audio_deliver(request, audio=audio, cache_control=CACHE_CONTROL)
    except OndasError as error:
        response = HttpResponse(
            error.message + "\n",
            status=error.http_status,
            content_type="text/plain; charset=utf-8",
        )
        response.headers["Cache-Control"] = "private, no-store"
        return response
