"""Request ids and metrics for every request, outermost in the middleware stack."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase

from ondas.ops import metrics
from ondas.ops.logging import REQUEST_ID_HEADER, request_id_from, request_id_var

# Keys of ``request.META`` (the WSGI environ) that `ondas serve` reads back
# after the response is sent (see ``ondas.ops.serve``).
REQUEST_ID_KEY = "ondas.request_id"
AUDIO_STREAM_KEY = "ondas.audio_stream"

Handler = Callable[[HttpRequest], HttpResponseBase]


class RequestIdMiddleware:
    """Give each request an id, log with it, and echo it in ``X-Request-ID``."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.META[REQUEST_ID_KEY] = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response


class MetricsMiddleware:
    """Count requests by route and status, time them, and follow audio streams."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = (match.view_name or match.route) if match else "unmatched"
        response_observe(
            environ=request.META,
            route=route,
            method=request.method or "",
            response=response,
            started=started,
        )
        return response


def response_observe(
    *,
    environ: dict[str, Any],
    route: str,
    method: str,
    response: HttpResponseBase,
    started: float,
) -> None:
    """Count one answered request, and follow it if it streams audio.

    ``environ`` is the WSGI environ (``request.META``); ``started`` a
    ``time.perf_counter()`` reading. Shared with the lean audio path
    (``ondas.wsgi``), whose requests never reach the middleware.
    """
    metrics.request_observe(
        route=route,
        method=method,
        status=response.status_code,
        seconds=time.perf_counter() - started,
    )
    if "X-Accel-Redirect" in response.headers:
        metrics.audio_handed_to_nginx()
    elif isinstance(response, FileResponse) and response.headers.get(
        "Content-Type", ""
    ).startswith("audio/"):
        # Open until the server has sent the bytes and closed the response:
        # HttpResponseBase.close() calls these (Django's own file closing
        # uses the same list).
        closers = response._resource_closers  # type: ignore[attr-defined]
        closers.append(audio_stream_follow(environ))


def audio_stream_follow(environ: dict[str, Any]) -> Callable[[], None]:
    """Count an audio stream as open; return what to call once it is closed.

    Marks the environ so that `ondas serve` counts the bytes it sent.
    """
    metrics.audio_stream_opened()
    environ[AUDIO_STREAM_KEY] = True
    return metrics.audio_stream_closed
