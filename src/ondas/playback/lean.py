"""The lean audio path: an audio request does only what audio needs.

Under `ondas serve` every request for ``/audio/<id>[.<ext>]`` or a private
feed's ``/audio/<id>/k/<token>.<ext>`` comes here first (``ondas.wsgi``),
before Django's handler and its whole middleware stack. What audio needs is
done here and nothing else:

- the host check, and the security headers the stack would add (Django's
  own ``SecurityMiddleware`` and ``XFrameOptionsMiddleware`` answer them);
- the session and the person, only when the audio is not free;
- the rights question, answered from ``rights_cache`` when a yes is kept
  (``access.yes_keep_seconds``: the rule of nginx's cache), else asked as the
  audio view asks it (``access.play_right``); book parts and private-feed
  enclosures are asked on every request;
- Range, validators and the bytes by sendfile (``delivery``).

A GET that a kept yes covers is answered from the environ alone
(``lean_kept``). Anything else that is not the full stack's is answered
with Django's request and response objects (``LeanAudio.answer``).

What is the full stack's, exactly as before: ``answer`` returns None and
Django's handler takes the request. That is every refusal and every error of
a public audio URL (the offer page, the 404 page and its logged error), other
methods (405), an odd session cookie or one the session check had to end, a
disallowed host. (A storage fault is no such error: it is answered here,
503 as the full stack answers it, not asked twice.) Nothing has been written
by then, so the full stack starts from the same state. A private feed's enclosure is answered here whatever the
outcome (its refusals are plain text, and it records the app's use), so it
is never asked twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header

from ondas.accounts.models import User
from ondas.catalog.models import Episode
from ondas.catalog.selectors import audio_file_get_with_access
from ondas.core import clock
from ondas.core.delivery import LISTENER_KEY
from ondas.core.faults import fault_kind
from ondas.core.media import LOCAL
from ondas.playback.access import play_right, yes_keep_seconds
from ondas.playback.delivery import audio_cache_control, audio_filename, file_deliver
from ondas.playback.lean_kept import KeptAnswer, KeptAnswers
from ondas.playback.private import private_audio_response
from ondas.playback.rights_cache import Grant, catalog_epoch, epoch_of, rights_cache

logger = logging.getLogger(__name__)

# The URL patterns of ``ondas.playback.urls`` that come here, as regular
# expressions over the path (ids longer than 19 digits cannot exist: the
# full stack answers their 404).
_AUDIO = re.compile(r"/audio/([0-9]{1,19})(\.[a-z0-9]{1,5})?")
_PRIVATE = re.compile(r"/audio/([0-9]{1,19})/k/([^/]+)\.[a-z0-9]{1,5}")
_MAX_ID = 2**63
PREFIX = "/audio/"


@dataclass(frozen=True)
class LeanAnswer:
    """A response made here, with its request and the route the metrics name."""

    request: HttpRequest
    response: HttpResponseBase
    route: str


def _unused(request: HttpRequest) -> HttpResponseBase:
    raise AssertionError("the lean audio path calls no next handler")


def _public_route(match: re.Match[str]) -> str:
    return "playback:audio-ext" if match[2] else "playback:audio"


class LeanAudio:
    """Answers audio requests from a WSGI environ, or leaves them to Django."""

    def __init__(self) -> None:
        # Read their settings once, as the full stack's instances do.
        self._security = SecurityMiddleware(_unused)
        self._frames = XFrameOptionsMiddleware(_unused)
        self._session_store: Callable[[str | None], Any] = import_module(
            settings.SESSION_ENGINE
        ).SessionStore
        self._languages = {code for code, _name in settings.LANGUAGES}
        self._kept = KeptAnswers()

    def kept(self, environ: dict[str, Any]) -> KeptAnswer | None:
        """Answer a GET of public audio from a kept yes, or return None."""
        match = _AUDIO.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return None
        audio_id = int(match[1])
        if not 0 < audio_id < _MAX_ID:
            return None
        return self._kept.answer(environ, audio_id=audio_id, route=_public_route(match))

    def answer(self, environ: dict[str, Any]) -> LeanAnswer | None:
        """Answer an audio request, or return None for the full stack to answer it."""
        # The patterns are ASCII: a PATH_INFO they match is Django's path_info.
        path = environ.get("PATH_INFO", "")
        handler: Callable[[HttpRequest, re.Match[str]], HttpResponseBase | None]
        if match := _AUDIO.fullmatch(path):
            handler, route = self._public_guarded, _public_route(match)
        elif match := _PRIVATE.fullmatch(path):
            handler, route = self._private_guarded, "playback:private-audio"
        else:
            return None  # nginx's rights question, say: the full stack's
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if settings.SESSION_SAVE_EVERY_REQUEST:
            return None  # every answer would carry a session cookie
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return None
        if self._security.process_request(request) is not None:
            return None  # redirected to HTTPS
        response = handler(request, match)
        if response is None:
            return None
        return LeanAnswer(request, self._finish(request, response), route)

    def _public_guarded(
        self, request: HttpRequest, match: re.Match[str]
    ) -> HttpResponseBase | None:
        """Answer public audio; on an error, leave it to the full stack.

        Nothing has been written or sent: the full stack asks again, and
        renders (and logs) the error as it renders any, if it happens again.
        A storage fault (``core.faults``) is answered here, as the full stack
        would answer it: 503 with Retry-After.
        """
        try:
            return self._public(request, match)
        except Exception as exc:  # noqa: BLE001 - handed on, or answered as Django does
            if fault_kind(exc) is not None:
                # A storage fault: asking again would only meet it again.
                # Django's handler500 answers it (503, Retry-After).
                self._activate_language(request)
                return response_for_exception(request, exc)
            logger.warning(
                "Lean audio path failed; the full stack answers", exc_info=True
            )
            return None

    def _private_guarded(
        self, request: HttpRequest, match: re.Match[str]
    ) -> HttpResponseBase:
        """Answer a private feed's enclosure; an error is rendered as the full
        stack renders it (the app's use may have been recorded: never twice)."""
        try:
            return self._private(request, match)
        except Exception as exc:  # noqa: BLE001 - Django's own handling, as a view's
            self._activate_language(request)
            return response_for_exception(request, exc)

    def _public(
        self, request: HttpRequest, match: re.Match[str]
    ) -> HttpResponseBase | None:
        audio_id = int(match[1])
        if not 0 < audio_id < _MAX_ID:
            return None
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if session_key is not None and len(session_key) < 8:
            # Not a key Django would look up: the stack answers, and drops it.
            return None
        now = clock.now()
        grant = rights_cache.get(audio_id=audio_id, session_key=session_key, now=now)
        if grant is None:
            grant = self._grant(request, audio_id, session_key, now)
            if grant is None:
                return None
        if grant.user_id is not None:
            request.META[LISTENER_KEY] = grant.user_id  # the delivery log's
        try:
            response = file_deliver(
                request,
                file_id=grant.audio_id,
                path=grant.path,
                content_type=grant.content_type,
                filename=grant.filename,
                cache_control=grant.cache_control,
            )
        except (FileNotFoundError, ValueError):
            # Gone (the stack logs it and answers 404), or a path nginx may
            # not be handed (the stack fails as it always has).
            rights_cache.forget_audio(audio_id)
            return None
        if grant.user_id is not None:
            # The answer depended on the session, as SessionMiddleware says.
            patch_vary_headers(response, ("Cookie",))
        return response

    def _grant(
        self,
        request: HttpRequest,
        audio_id: int,
        session_key: str | None,
        now: datetime,
    ) -> Grant | None:
        """Ask the rights question as the audio view does; keep a yes that may be kept."""
        # Read before the rights: a change after this moves an epoch.
        catalog = catalog_epoch()
        found = audio_file_get_with_access(audio_id=audio_id, now=now)
        if found is None:
            return None
        audio, access = found
        if audio.storage != LOCAL:
            return None  # in the bucket: the full stack sends it (s3_delivery)
        user = None
        epoch = 0
        if access != Episode.Access.FREE:
            request.session = self._session_store(session_key)
            user = get_user(request)
            if request.session.modified:
                return None  # the session was ended here: the stack says so
            if not isinstance(user, User):
                return None
            epoch = epoch_of(user.pk)
        right = play_right(user=user, access=access, now=now)
        if not right.allowed:
            return None
        keep = yes_keep_seconds(right, now=now)
        filename = audio_filename(audio)
        grant = Grant(
            audio_id=audio.pk,
            path=audio.file.path,
            content_type=audio.mime_type,
            filename=filename,
            disposition=content_disposition_header(False, filename),
            cache_control=audio_cache_control(access),
            expires_at=now + timedelta(seconds=keep),
            catalog=catalog,
            user_id=user.pk if user is not None else None,
            epoch=epoch,
        )
        if keep > 0:
            rights_cache.put(grant, session_key=session_key)
        return grant

    def _private(self, request: HttpRequest, match: re.Match[str]) -> HttpResponseBase:
        audio_id = int(match[1])
        # Its refusals are sentences in the listener's language.
        self._activate_language(request)
        return private_audio_response(request, audio_id=audio_id, token=match[2])

    def _activate_language(self, request: HttpRequest) -> None:
        # As DefaultLanguageMiddleware (web) chooses: the visitor's pick, else
        # the storefront's language.
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self._languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def _finish(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Add what the middleware stack adds to an audio response's headers."""
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
        if response.headers.get("Content-Type", "").startswith("text/html"):
            # A page (416, an error), as DefaultLanguageMiddleware marks it.
            if not hasattr(request, "LANGUAGE_CODE"):
                self._activate_language(request)
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
            patch_vary_headers(response, ("Cookie",))
        # Typed for HttpResponse; they only set headers, which every response has.
        headed = cast(HttpResponse, response)
        self._frames.process_response(request, headed)
        self._security.process_response(request, headed)
        return response
