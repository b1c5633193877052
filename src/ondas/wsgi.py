"""WSGI entry point: `ondas serve` preloads this before forking its workers.

Audio requests try the lean audio path first (``ondas.playback.lean``): the
session, the rights question, Range and sendfile, without the middleware
stack. What operators rely on still happens for them, here: the request id
(``X-Request-ID``, and on every log line), the request metrics by route and
status, the audio stream gauge and bytes count, Django's log of 4xx and 5xx
answers. Whatever the lean path does not answer goes to Django's handler, as
every other request does. ``ONDAS_LEAN_AUDIO=0`` sends every request there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any, cast
from wsgiref.types import StartResponse
from wsgiref.util import FileWrapper

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")

django_application = get_wsgi_application()

# Past django.setup(): these import models.
from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler, get_script_name  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.http.response import HttpResponseBase  # noqa: E402
from django.urls import set_script_prefix  # noqa: E402
from django.utils.log import log_response  # noqa: E402

from ondas.core.delivery import AUDIO_KEY, LISTENER_KEY  # noqa: E402
from ondas.ops import metrics  # noqa: E402
from ondas.ops.logging import (  # noqa: E402
    REQUEST_ID_HEADER,
    request_id_from,
    request_id_var,
)
from ondas.ops.middleware import (  # noqa: E402
    REQUEST_ID_KEY,
    audio_stream_follow,
    response_observe,
)
from ondas.playback.lean import PREFIX, LeanAnswer, LeanAudio  # noqa: E402
from ondas.playback.lean_kept import KeptAnswer  # noqa: E402


def lean_answer(lean: LeanAudio, environ: dict[str, Any]) -> LeanAnswer | None:
    """The lean path's answer with its request id and metrics, or None."""
    started = time.perf_counter()
    request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
    token = request_id_var.set(request_id)
    try:
        answer = lean.answer(environ)
    finally:
        request_id_var.reset(token)
    if answer is None:
        return None
    environ[REQUEST_ID_KEY] = request_id
    response, request = answer.response, answer.request
    response.headers[REQUEST_ID_HEADER] = request_id
    response_observe(
        environ=environ,
        route=answer.route,
        method=environ.get("REQUEST_METHOD", ""),
        response=response,
        started=started,
    )
    # What BaseHandler.get_response does with every response.
    response._resource_closers.append(request.close)  # type: ignore[attr-defined]
    if response.status_code >= 400:
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=cast(HttpResponse, response),  # it reads status and headers
            request=request,
        )
    return answer


def kept_send(
    kept: KeptAnswer,
    environ: dict[str, Any],
    start_response: StartResponse,
    *,
    started: float,
) -> Iterable[bytes]:
    """Send a kept answer (``lean_kept``) with its request id and metrics."""
    request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
    environ[REQUEST_ID_KEY] = request_id
    environ[AUDIO_KEY] = kept.audio_id
    if kept.user_id is not None:
        environ[LISTENER_KEY] = kept.user_id
    headers = kept.headers
    headers.append((REQUEST_ID_HEADER, request_id))
    metrics.request_observe(
        route=kept.route,
        method="GET",
        status=kept.status_code,
        seconds=time.perf_counter() - started,
    )
    kept.body.on_close = audio_stream_follow(environ)
    start_response(kept.status, headers)
    wrapper: Any = environ.get("wsgi.file_wrapper") or FileWrapper
    return cast(Iterable[bytes], wrapper(kept.body, 8192))


class AudioFirst:
    """A WSGI application: the lean audio path, else Django's handler."""

    def __init__(self, django_app: WSGIHandler) -> None:
        self.django_app = django_app
        self._lean: LeanAudio | None = None

    def forget_settings(self) -> None:
        """Read the settings again on the next request (tests change them).

        Kept yes answers stay: they hold by the clock and the epochs alone.
        """
        self._lean = None

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if not (
            environ.get("PATH_INFO", "").startswith(PREFIX)
            and settings.ONDAS_LEAN_AUDIO
        ):
            return self.django_app(environ, start_response)
        started = time.perf_counter()
        lean = self._lean
        if lean is None:
            lean = self._lean = LeanAudio()
        # No database, no signal: nothing to open or close around it.
        kept = lean.kept(environ)
        if kept is not None:
            return kept_send(kept, environ, start_response, started=started)
        # What Django's handler does first, for the signals' receivers
        # (database connections past their age are closed here); once,
        # whoever answers.
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=WSGIHandler, environ=environ)
        answer = lean_answer(lean, environ)
        if answer is not None:
            response = answer.response
        else:
            # A fresh request, so the full stack starts from the environ alone.
            request = self.django_app.request_class(environ)
            response = self.django_app.get_response(request)
        return respond(response, environ, start_response)


def respond(
    response: HttpResponseBase, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """Hand ``response`` to the server as ``WSGIHandler.__call__`` does.

    The same status line, headers and file wrapper (sendfile under Gunicorn);
    closing the response sends ``request_finished``.
    """
    response._handler_class = WSGIHandler  # type: ignore[attr-defined]
    status = f"{response.status_code} {response.reason_phrase}"
    headers = [
        *response.items(),
        *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
    ]
    start_response(status, headers)
    file_to_stream = getattr(response, "file_to_stream", None)
    wrapper = environ.get("wsgi.file_wrapper")
    if file_to_stream is not None and wrapper is not None:
        file_to_stream.close = response.close
        block_size = getattr(response, "block_size", 8192)
        return cast(Iterable[bytes], wrapper(file_to_stream, block_size))
    return cast(Iterable[bytes], response)


application = AudioFirst(django_application)


def _on_setting_changed(*, setting: str, **kwargs: object) -> None:
    # The clock's shift is read on every request.
    if setting != "ONDAS_CLOCK_SHIFT":
        application.forget_settings()


signals.setting_changed.connect(_on_setting_changed)
