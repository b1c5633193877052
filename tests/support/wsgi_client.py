"""Django's test client, with requests going through a real WSGI application.

``ondas.wsgi.application`` (the lean audio path first, as under `ondas serve`)
or ``ondas.wsgi.django_application`` (Django's handler and its whole
middleware stack, what `ondas serve` runs with ``ONDAS_LEAN_AUDIO=0``). The
client is Django's own (cookies, ``force_login``, ``response.json()``); only
the handler differs: it calls the application with an environ, a
``start_response`` and a ``wsgi.file_wrapper``, reads the body as a server
would (none for HEAD, 1xx, 204 and 304), closes it, and gives the test a
response rebuilt from the status line, the headers and the bytes. CSRF
checks are on, as in production (Django's test client turns them off).

Unlike Django's test client nothing is patched on the way: no request
attribute is set from outside, the middleware sees the environ as a server
gives it. Only the database connection is kept across the request (a real
one closes it when the request starts and ends; here it holds the test's
transaction).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.test import Client

from ondas import wsgi

Path = Literal["lean", "full"]
PATHS: tuple[Path, ...] = ("lean", "full")
_NO_BODY = {204, 304}


class RecordingFileWrapper:
    """Stands in for Gunicorn's ``wsgi.file_wrapper``; notes the descriptor's
    offset when it is made, where Gunicorn would start its ``sendfile``."""

    def __init__(self, filelike: Any, block_size: int = 8192) -> None:
        self.filelike = filelike
        self.offset = os.lseek(filelike.fileno(), 0, os.SEEK_CUR)

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: bytes(self.filelike.read(8192)), b"")

    def close(self) -> None:
        self.filelike.close()


class WsgiHandler:
    """Calls a WSGI application for Django's test client."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        # Where the last file response's sendfile would have started (None:
        # the response was not a file), and the environ the app was given.
        self.last_offset: int | None = None
        self.last_environ: dict[str, Any] = {}

    def __call__(self, environ: dict[str, Any]) -> HttpResponseBase:
        environ = dict(environ)
        environ["wsgi.file_wrapper"] = RecordingFileWrapper
        self.last_environ = environ
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], object]:
            started.append((status, headers))
            return lambda data: None

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.app(environ, start_response)
            try:
                chunks = list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        file_sent = isinstance(result, RecordingFileWrapper)
        self.last_offset = result.offset if file_sent else None
        status, headers = started[0]
        code = int(status.split(" ", 1)[0])
        body = b"".join(chunks)
        if environ["REQUEST_METHOD"] == "HEAD" or code in _NO_BODY or code < 200:
            body = b""
        response: HttpResponseBase
        if file_sent:
            response = StreamingHttpResponse(iter([body]), status=code)
        else:
            response = HttpResponse(body, status=code)
        response.reason_phrase = status.split(" ", 1)[1]
        for name in list(response.headers):
            del response.headers[name]
        for name, value in headers:
            if name.lower() == "set-cookie":
                response.cookies.load(value)
            else:
                response.headers[name] = value
        response.wsgi_request = WSGIRequest(environ)  # type: ignore[attr-defined]
        return response


class WsgiClient(Client):
    """Django's test client over ``ondas.wsgi``'s lean or full application."""

    handler: WsgiHandler  # type: ignore[assignment]

    def __init__(self, path: Path, **defaults: Any) -> None:
        super().__init__(**defaults)
        app = wsgi.application if path == "lean" else wsgi.django_application
        self.handler = WsgiHandler(app)
        self.path = path


def header_items(response: HttpResponseBase) -> dict[str, str]:
    """The response's headers and cookies, to compare two answers exactly."""
    items = {name.lower(): value for name, value in response.items()}
    for name, morsel in response.cookies.items():
        items[f"set-cookie:{name}"] = morsel.OutputString()
    return items


def body_of(response: HttpResponseBase) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]
