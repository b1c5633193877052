from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from ondas.accounts.types import AuthedHttpRequest
from ondas.catalog.models import Episode
from ondas.catalog.selectors import (
    audio_file_get_with_access,
    audiobook_get_by_id,
)
from ondas.core import clock
from ondas.core.answers import answers_json
from ondas.core.delivery import AUDIO_HEADER, LISTENER_HEADER, LISTENER_KEY
from ondas.core.errors import OndasError, SignInRequired
from ondas.core.jsonbody import json_model
from ondas.core.media import LOCAL
from ondas.playback.access import (
    book_stream_allowance,
    episode_get_to_hear,
    may_play,
    play_right,
    progress_item_length,
    yes_keep_seconds,
)
from ondas.playback.audio import audio_deliver
from ondas.playback.delivery import audio_cache_control, media_relative_path
from ondas.playback.errors import (
    AudioNotFound,
    SubscriptionRequired,
)
from ondas.playback.heard import episode_report_apply
from ondas.playback.models import Bookmark, ListeningProgress
from ondas.playback.schemas import (
    BookmarkIn,
    EpisodeReportIn,
    ProgressIn,
    ReportIn,
    SessionOpenIn,
)
from ondas.playback.selectors import bookmark_list, progress_get
from ondas.playback.services import (
    PlayedInterval,
    bookmark_create,
    bookmark_delete,
    listening_report_apply,
    listening_session_open,
    progress_save,
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
    if access != Episode.Access.FREE:
        # The right was this person's: the delivery log counts them.
        request.META[LISTENER_KEY] = request.user.pk
    return audio_deliver(
        request, audio=audio, cache_control=audio_cache_control(access)
    )


# Characters nginx can take as they are in a file path (try_files does not
# unescape): anything else goes the X-Accel-Redirect way, which does.
_PLAIN_MEDIA_PATH = re.compile(r"[A-Za-z0-9._/-]+")


@require_safe
def audio_rights_view(request: HttpRequest, audio_id: int) -> HttpResponse:
    """nginx asks, before it sends audio itself: may this listener hear it now?

    The deploy site (``ondas deploy nginx``) puts this question to Ondas with
    ``auth_request`` for every ``/audio/<id>`` request and keeps the answer
    for ``X-Accel-Expires`` seconds (``access.yes_keep_seconds``: up to
    ``ONDAS_AUDIO_RIGHTS_TTL``, never past the listener's period; 0 = ask every
    time), keyed by the audio id and the listener's session. Yes is 200 with
    the file's place under the media root and the Cache-Control to send. Any
    other answer is 403, never cached: nginx then hands the request to
    ``audio_view``, which refuses it properly (the offer page, the 404 with its
    logged error) or, for a path nginx cannot take as is, sends it by
    X-Accel-Redirect.
    """
    no = HttpResponse(status=403)
    no.headers["X-Accel-Expires"] = "0"
    if not settings.ONDAS_AUDIO_ACCEL_PREFIX:
        return no
    found = audio_file_get_with_access(audio_id=audio_id)
    if found is None:
        return no
    audio, access = found
    now = clock.now()
    right = play_right(user=request.user, access=access, now=now)
    if not right.allowed:
        return no
    if audio.storage != LOCAL:
        # In the bucket: nginx has no file to send. The audio view answers
        # (X-Accel-Redirect to the S3 location), asking the right again.
        return no
    try:
        relative = media_relative_path(audio.file.path, str(settings.MEDIA_ROOT))
    except (FileNotFoundError, ValueError):
        return no
    if not _PLAIN_MEDIA_PATH.fullmatch(relative) or ".." in relative:
        return no
    yes = HttpResponse(status=200)
    yes.headers["X-Ondas-File"] = relative
    yes.headers["X-Ondas-Cache-Control"] = audio_cache_control(access)
    # A book's part is metered against the listener's hours: asked every time;
    # a subscriber's yes is never kept past their period's end.
    yes.headers["X-Accel-Expires"] = str(yes_keep_seconds(right, now=now))
    # For nginx's delivery log (auth_request_set), never sent to the client.
    yes.headers[AUDIO_HEADER] = str(audio.pk)
    if access != Episode.Access.FREE and request.user.is_authenticated:
        yes.headers[LISTENER_HEADER] = str(request.user.pk)
    return yes


def _refused(request: HttpRequest, error: SubscriptionRequired) -> HttpResponse:
    """The refusal as a page, kept by no cache: the answer changes on subscribing."""
    status = error.http_status
    response = render(
        request, "ondas/error.html", {"error": error, "status": status}, status=status
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


# The book player's JSON endpoints ----------------------------------------------
# Signed-in only, CSRF-protected like every form (the player sends the token
# in X-CSRFToken), never cached. Bad input is an InvalidRequest (400) with a
# sentence saying what is wrong; nothing is charged or stored.


def json_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer visitors with 401 and OndasErrors as ``{code, message, data}``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            refusal = SignInRequired(
                _("Sign in to listen to whole books and keep your place.")
            )
            response: HttpResponse = JsonResponse(refusal.as_dict(), status=401)
        else:
            try:
                response = view(request, *args, **kwargs)
            except OndasError as error:
                response = JsonResponse(error.as_dict(), status=error.http_status)
        patch_cache_control(response, private=True, no_store=True)
        return response

    # Errors no view renders (a storage fault: 503) are JSON here too.
    return answers_json(wrapper)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@require_POST
@json_endpoint
def listening_session_open_view(
    request: AuthedHttpRequest, audiobook_id: int
) -> HttpResponse:
    """Start this device's stream of a book: the one the account meters now."""
    device = json_model(request, SessionOpenIn).device
    book = audiobook_get_by_id(audiobook_id=audiobook_id)
    now = clock.now()
    allowance = book_stream_allowance(user=request.user, now=now)
    session = listening_session_open(
        user=request.user, audiobook=book, device=device, now=now
    )
    return JsonResponse(
        {
            "token": str(session.token),
            "left_seconds": round(allowance.left_seconds, 3),
            "renews_at": _iso(allowance.renews_at),
        },
        status=201,
    )


@require_POST
@json_endpoint
def listening_report_view(
    request: AuthedHttpRequest, session_token: uuid.UUID
) -> HttpResponse:
    """Charge what the player says it played (``{seq, intervals}``)."""
    report = json_model(request, ReportIn)
    answer = listening_report_apply(
        user=request.user,
        session_token=str(session_token),
        seq=report.seq,
        intervals=[
            PlayedInterval(start=i.start, end=i.end, rate=i.rate)
            for i in report.intervals
        ],
        now=clock.now(),
    )
    return JsonResponse(answer)


@require_POST
@json_endpoint
def episode_report_view(request: AuthedHttpRequest, episode_id: int) -> HttpResponse:
    """Keep what the episode player says it played (``{stream, seq, intervals}``)."""
    now = clock.now()
    # Who may report comes before what the body says (404, 403, then 400).
    episode = episode_get_to_hear(user=request.user, episode_id=episode_id, now=now)
    report = json_model(request, EpisodeReportIn)
    answer = episode_report_apply(
        user=request.user,
        episode=episode,
        stream=report.stream,
        seq=report.seq,
        intervals=[
            PlayedInterval(start=i.start, end=i.end, rate=i.rate)
            for i in report.intervals
        ],
        now=now,
    )
    return JsonResponse(answer)


def _progress_dict(progress: ListeningProgress | None) -> dict[str, object]:
    return {
        "position_seconds": progress.position_seconds if progress else None,
        "played_at": _iso(progress.played_at) if progress else None,
        "device": progress.device if progress else "",
    }


@require_http_methods(["GET", "PUT"])
@json_endpoint
def progress_view(request: AuthedHttpRequest, kind: str, item_id: int) -> HttpResponse:
    """Read, or move, the person's position in an episode or a book."""
    now = clock.now()
    length = progress_item_length(
        user=request.user, kind=kind, item_id=item_id, now=now
    )
    if request.method == "GET":
        found = progress_get(user=request.user, kind=kind, item_id=item_id)
        return JsonResponse(_progress_dict(found))
    data = json_model(request, ProgressIn, context={"max_position": length + 1})
    progress, applied = progress_save(
        user=request.user,
        kind=kind,
        item_id=item_id,
        position_seconds=data.position_seconds,
        played_at=data.played_at or now,
        device=data.device,
        now=now,
    )
    return JsonResponse({**_progress_dict(progress), "applied": applied})


def _bookmark_dict(bookmark: Bookmark) -> dict[str, object]:
    return {
        "id": bookmark.pk,
        "position_seconds": bookmark.position_seconds,
        "note": bookmark.note,
        "created_at": _iso(bookmark.created_at),
    }


@require_http_methods(["GET", "POST"])
@json_endpoint
def bookmarks_view(request: AuthedHttpRequest, audiobook_id: int) -> HttpResponse:
    """List the person's bookmarks in a book, or add one (``{position_seconds, note}``)."""
    book = audiobook_get_by_id(audiobook_id=audiobook_id)
    if request.method == "GET":
        bookmarks = bookmark_list(user=request.user, audiobook=book)
        return JsonResponse({"bookmarks": [_bookmark_dict(b) for b in bookmarks]})
    context = {"max_position": book.duration_seconds}
    data = json_model(request, BookmarkIn, context=context)
    bookmark = bookmark_create(
        user=request.user,
        audiobook=book,
        position_seconds=data.position_seconds,
        note=data.note,
        now=clock.now(),
    )
    return JsonResponse(_bookmark_dict(bookmark), status=201)


@require_http_methods(["DELETE"])
@json_endpoint
def bookmark_delete_view(request: AuthedHttpRequest, bookmark_id: int) -> HttpResponse:
    """Delete one of the person's bookmarks; someone else's stays as it is."""
    bookmark_delete(user=request.user, bookmark_id=bookmark_id)
    return HttpResponse(status=204)
