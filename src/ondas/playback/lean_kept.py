"""Kept answers: a range of audio that a kept yes covers, sent from the environ.

The lean audio path (``ondas.playback.lean``) asks this first. When the
rights cache (``rights_cache``) holds a yes for this file and session, and
the request is a plain GET with at most Range and If-Range, the answer needs
no Django request, no response object, no signal and no database: the host
check, the file's validators and range (``delivery.range_to_send``, the very
rule of ``serve_file``) and a list of headers, the same ones the full stack
would send, down to the security headers, which are taken once from
Django's own middleware (see ``_stack_headers``).

Anything else is left to the rest of the lean path (``None``): HEAD,
If-None-Match and the other validators (304, 412), an unsatisfiable range
(416), a host that is not plainly allowed, a session cookie Django would
drop, nginx in front (X-Accel-Redirect), a file that will not open.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any, BinaryIO

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware

from ondas.core import clock
from ondas.playback.delivery import (
    etag_for,
    last_modified,
    range_to_send,
)
from ondas.playback.ranges import RangeNotSatisfiable
from ondas.playback.rights_cache import rights_cache

# Validators other than If-Range: their 304 and 412 are Django's to answer.
_CONDITIONAL = (
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)
# Host headers remembered as allowed or not; beyond, they are checked each time.
_MAX_HOSTS = 256
_OK = "200 OK"
_PARTIAL = "206 Partial Content"


class KeptWindow:
    """Bytes ``[start, start + length)`` of an open file, for the server to send.

    Like ``delivery.RangeFile``, but the descriptor's offset is set once, to
    the start, where Gunicorn's ``sendfile`` begins; after that no call here
    moves it (reads are ``pread``, ``seek`` only notes the position), so the
    ``seek`` ``socket.sendfile`` makes once it is done costs no system call,
    and its fallback (``seek`` then ``read``) still reads the right bytes.
    Closing it also calls ``on_close`` (once).
    """

    def __init__(self, raw: BinaryIO, start: int, length: int) -> None:
        self._raw = raw
        self._fd = raw.fileno()
        if start:
            os.lseek(self._fd, start, os.SEEK_SET)
        self._position = start
        self._end = start + length
        self.on_close: Callable[[], None] | None = None

    def fileno(self) -> int:
        return self._fd

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self._position
        elif whence == os.SEEK_END:
            offset += os.fstat(self._fd).st_size
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        left = self._end - self._position
        if left <= 0:
            return b""
        data = os.pread(self._fd, left if size < 0 else min(size, left), self._position)
        self._position += len(data)
        return data

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            on_close, self.on_close = self.on_close, None
            if on_close is not None:
                on_close()


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    """A status line, its headers and the window of the file to send."""

    status: str
    status_code: int
    headers: list[tuple[str, str]]
    body: KeptWindow
    route: str
    # For the delivery log (``core.delivery``): the file, and the person
    # whose yes it is, if the yes depended on one.
    audio_id: int
    user_id: int | None


def _unused(request: HttpRequest) -> HttpResponse:
    raise AssertionError("kept answers call no next handler")


def _stack_headers(*, secure: bool) -> list[tuple[str, str]]:
    """The headers the middleware stack adds to an audio response, as it adds
    them: Django's ``XFrameOptionsMiddleware`` and ``SecurityMiddleware`` run
    once on an empty response, for a request over HTTPS or not."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/audio/1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443" if secure else "80",
        "wsgi.url_scheme": "https" if secure else "http",
        "wsgi.input": BytesIO(),
    }
    request = WSGIRequest(environ)
    response = HttpResponse()
    before = set(response.headers)
    XFrameOptionsMiddleware(_unused).process_response(request, response)
    SecurityMiddleware(_unused).process_response(request, response)
    return [(k, v) for k, v in response.items() if k not in before]


class KeptAnswers:
    """Answers the GETs a kept yes covers; settings are read once, as the
    middleware stack reads them."""

    def __init__(self) -> None:
        self._off = settings.SESSION_SAVE_EVERY_REQUEST or bool(
            settings.ONDAS_AUDIO_ACCEL_PREFIX
        )
        self._redirect = bool(settings.SECURE_SSL_REDIRECT)
        self._proxy_ssl: tuple[str, str] | None = settings.SECURE_PROXY_SSL_HEADER
        self._forwarded_host = bool(settings.USE_X_FORWARDED_HOST)
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:  # as HttpRequest.get_host allows
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        self._allowed = allowed
        self._hosts: dict[str, bool] = {}
        self._cookie = settings.SESSION_COOKIE_NAME
        self._tail = {secure: _stack_headers(secure=secure) for secure in (False, True)}

    def answer(
        self, environ: dict[str, Any], *, audio_id: int, route: str
    ) -> KeptAnswer | None:
        """The answer to this GET from a kept yes, or None."""
        if self._off or environ.get("REQUEST_METHOD") != "GET":
            return None
        for name in _CONDITIONAL:
            if name in environ:
                return None
        secure = self._is_secure(environ)
        if (self._redirect and not secure) or not self._host_allowed(environ):
            return None
        session_key = None
        cookies = environ.get("HTTP_COOKIE", "")
        if self._cookie in cookies:
            session_key = parse_cookie(cookies).get(self._cookie)
            if session_key is not None and len(session_key) < 8:
                return None  # Django's session middleware would drop it
        grant = rights_cache.get(
            audio_id=audio_id, session_key=session_key, now=clock.now()
        )
        if grant is None:
            return None
        try:
            # Unbuffered: the bytes go out by sendfile, not through a buffer.
            raw: BinaryIO = open(grant.path, "rb", buffering=0)  # noqa: SIM115 - the window closes it
        except OSError:
            return None
        try:
            stat = os.fstat(raw.fileno())
            size, mtime = stat.st_size, int(stat.st_mtime)
            etag = etag_for(grant.audio_id, stat)
            byte_range = range_to_send(
                range_header=environ.get("HTTP_RANGE"),
                if_range=environ.get("HTTP_IF_RANGE"),
                etag=etag,
                mtime=mtime,
                size=size,
            )
            if byte_range is None:
                status, code, start, length = _OK, 200, 0, size
            else:
                status, code = _PARTIAL, 206
                start, length = byte_range.start, byte_range.length
            window = KeptWindow(raw, start, length)
        except (OSError, RangeNotSatisfiable):
            raw.close()
            return None
        except BaseException:
            raw.close()
            raise
        # In the order the full stack sends them (serve_file, FileResponse).
        headers = [
            ("Accept-Ranges", "bytes"),
            ("ETag", etag),
            ("Last-Modified", last_modified(mtime)),
            ("Cache-Control", grant.cache_control),
            ("Content-Type", grant.content_type),
            ("Content-Length", str(length)),
        ]
        if grant.disposition:
            headers.append(("Content-Disposition", grant.disposition))
        if byte_range is not None:
            headers.append(("Content-Range", byte_range.content_range(size)))
        if grant.user_id is not None:
            # The yes depended on the session, as SessionMiddleware says.
            headers.append(("Vary", "Cookie"))
        headers += self._tail[secure]
        return KeptAnswer(
            status, code, headers, window, route, grant.audio_id, grant.user_id
        )

    def _is_secure(self, environ: dict[str, Any]) -> bool:
        # HttpRequest.scheme, from the environ.
        if self._proxy_ssl is not None:
            header, secure_value = self._proxy_ssl
            value = environ.get(header)
            if value is not None:
                return bool(value.split(",", 1)[0].strip() == secure_value)
        return bool(environ.get("wsgi.url_scheme") == "https")

    def _host_allowed(self, environ: dict[str, Any]) -> bool:
        # HttpRequest.get_host, for a request that names its host; one that
        # does not is left to Django (SERVER_NAME and port).
        if self._forwarded_host and "HTTP_X_FORWARDED_HOST" in environ:
            host = environ["HTTP_X_FORWARDED_HOST"]
        elif "HTTP_HOST" in environ:
            host = environ["HTTP_HOST"]
        else:
            return False
        allowed = self._hosts.get(host)
        if allowed is None:
            domain, _port = split_domain_port(host)
            allowed = bool(domain) and validate_host(domain, self._allowed)
            if len(self._hosts) < _MAX_HOSTS:
                self._hosts[host] = allowed
        return allowed
