"""WSGI entry point: `ondas serve` preloads this before forking its workers.

Audio requests try the lean audio path first (``ondas.playback.lean``): the
session, the rights question, Range and sendfile, without the middleware
stack. What operators rely on still happens for them, here: the request id
(``X-Request-ID``, and on every log line), the request metrics by route and
status, the audio stream gauge and bytes count. Whatever the lean path does
not answer goes to Django's handler, as every other request does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any, cast
from wsgiref.types import StartResponse

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")

django_application = get_wsgi_application()

# Past django.setup(): these import models.
from django.core import signals  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler, get_script_name  # noqa: E402
from django.urls import set_script_prefix  # noqa: E402

from ondas.ops.logging import (  # noqa: E402
    REQUEST_ID_HEADER,
    request_id_from,
    request_id_var,
)
from ondas.ops.middleware import REQUEST_ID_KEY, response_observe  # noqa: E402
from ondas.playback.lean import PREFIX, LeanAnswer, LeanAudio  # noqa: E402


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
    answer.response.headers[REQUEST_ID_HEADER] = request_id
    response_observe(
        environ=environ,
        route=answer.route,
        method=environ.get("REQUEST_METHOD", ""),
        response=answer.response,
        started=started,
    )
    return answer


class AudioFirst:
    """A WSGI application: the lean audio path, else Django's handler."""

    def __init__(self, django_app: WSGIHandler) -> None:
        self.django_app = django_app
        self._lean: LeanAudio | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(PREFIX):
            return self.django_app(environ, start_response)
        if self._lean is None:
            self._lean = LeanAudio()
        # What Django's handler does first, for the signals' receivers
        # (database connections past their age are closed here).
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=WSGIHandler, environ=environ)
        answer = lean_answer(self._lean, environ)
        if answer is None:
            return self.django_app(environ, start_response)
        response = answer.response
        # As WSGIHandler.__call__ ends: the same status line, headers and
        # file wrapper (sendfile under Gunicorn); closing the response sends
        # request_finished.
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
