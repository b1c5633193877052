"""Send an audio file's bytes: whole, or one byte range, with validators.

The bytes never pass through Python under `ondas serve`: Django's
``FileResponse`` reaches Gunicorn's ``wsgi.file_wrapper``, which calls
``sendfile(2)`` from the descriptor's current offset for ``Content-Length``
bytes. We seek the descriptor to the range start and set that length.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import (
    content_disposition_header,
    http_date,
    parse_http_date_safe,
)

from ondas.catalog.models import AudioFile, Episode
from ondas.core.delivery import AUDIO_HEADER, AUDIO_KEY, LISTENER_HEADER, LISTENER_KEY
from ondas.playback.ranges import (
    ByteRange,
    RangeNotSatisfiable,
    parse_range,
    strong_etag_matches,
)

logger = logging.getLogger(__name__)


class RangeFile:
    """A read-only window on bytes ``[start, start + length)`` of an open file.

    ``fileno()`` exposes the real descriptor so a server can ``sendfile`` it
    from the current offset; ``read()`` stops at the window's end for servers
    (and test clients) that copy. Positions are those of the descriptor, so
    ``seek``/``tell`` agree with ``os.lseek`` on ``fileno()``: Python's
    ``socket.sendfile`` falls back to ``seek`` + ``read`` when the client has
    gone before the first byte, and without ``seek`` that became an
    AttributeError inside Gunicorn instead of a quiet broken pipe.
    """

    def __init__(self, raw: BinaryIO, length: int) -> None:
        self._raw = raw
        self._end = raw.tell() + length

    def fileno(self) -> int:
        return self._raw.fileno()

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def read(self, size: int = -1) -> bytes:
        left = self._end - self._raw.tell()
        if left <= 0:
            return b""
        return self._raw.read(left if size < 0 else min(size, left))

    def close(self) -> None:
        self._raw.close()


def etag_for(file_id: int, stat: os.stat_result) -> str:
    """A strong validator: changes whenever the bytes on disk could have."""
    return f'"{file_id:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'


@lru_cache(maxsize=1024)
def last_modified(mtime: int) -> str:
    """``Last-Modified`` for a file modified at ``mtime`` (seconds); kept, as
    every range of a file asks for the same one."""
    return http_date(mtime)


def validator_headers(*, etag: str, mtime: int, cache_control: str) -> dict[str, str]:
    """The headers every answer about the file carries (304, 416 and HEAD too)."""
    return {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": last_modified(mtime),
        "Cache-Control": cache_control,
    }


def _if_range_allows(if_range: str | None, etag: str, mtime: int) -> bool:
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', 'W/"')):
        return strong_etag_matches(if_range, etag)
    date = parse_http_date_safe(if_range)
    return date is not None and date == mtime


def range_to_send(
    *, range_header: str | None, if_range: str | None, etag: str, mtime: int, size: int
) -> ByteRange | None:
    """The one range a GET gets, or None for the whole file (RFC 9110 §13.1.5).

    A Range is honoured only when If-Range, if sent, still names these bytes.
    Raises RangeNotSatisfiable (416). Shared by ``serve_file`` and the lean
    audio path's kept answers (``ondas.playback.lean_kept``).
    """
    if not _if_range_allows(if_range, etag, mtime):
        return None
    return parse_range(range_header, size)


def serve_file(
    request: HttpRequest,
    *,
    path: str,
    file_id: int,
    content_type: str,
    filename: str,
    cache_control: str,
) -> HttpResponseBase:
    """Answer GET or HEAD for the file at ``path`` (raises FileNotFoundError)."""
    raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - the response closes it
    try:
        stat = os.fstat(raw.fileno())
        size = stat.st_size
        mtime = int(stat.st_mtime)
        etag = etag_for(file_id, stat)
        headers = validator_headers(etag=etag, mtime=mtime, cache_control=cache_control)
        conditional = get_conditional_response(request, etag=etag, last_modified=mtime)
        if conditional is not None:
            raw.close()
            for name, value in headers.items():
                conditional.headers[name] = value
            return conditional

        byte_range: ByteRange | None = None
        if request.method == "GET":
            try:
                byte_range = range_to_send(
                    range_header=request.headers.get("Range"),
                    if_range=request.headers.get("If-Range"),
                    etag=etag,
                    mtime=mtime,
                    size=size,
                )
            except RangeNotSatisfiable:
                raw.close()
                response = HttpResponse(status=416, headers=headers)
                response.headers["Content-Range"] = f"bytes */{size}"
                return response

        if request.method == "HEAD":
            raw.close()
            response = HttpResponse(content_type=content_type, headers=headers)
            response.headers["Content-Length"] = str(size)
            # The same header fields a GET would carry (RFC 9110 §9.3.2).
            if disposition := content_disposition_header(False, filename):
                response.headers["Content-Disposition"] = disposition
            return response

        if byte_range is None:
            file_response = FileResponse(
                raw, content_type=content_type, filename=filename, headers=headers
            )
            file_response.headers["Content-Length"] = str(size)
            return file_response

        raw.seek(byte_range.start)
        file_response = FileResponse(
            RangeFile(raw, byte_range.length),
            status=206,
            content_type=content_type,
            filename=filename,
            headers=headers,
        )
        # FileResponse measured to the end of the file; the server's sendfile
        # sends exactly Content-Length bytes, so this must be the range's.
        file_response.headers["Content-Length"] = str(byte_range.length)
        file_response.headers["Content-Range"] = byte_range.content_range(size)
        return file_response
    except BaseException:
        raw.close()
        raise


def media_relative_path(path: str, media_root: str) -> str:
    """Return ``path`` relative to ``media_root``, for nginx to find it there.

    Raises FileNotFoundError when the file is gone and ValueError when it
    lies outside the media root (a symlink out, say): such a path is never
    handed to nginx.
    """
    os.stat(path)
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(media_root))
    if relative.startswith(os.pardir) or os.path.isabs(relative):
        raise ValueError(f"{path!r} is outside the media root")
    return relative


def accel_redirect(
    *,
    path: str,
    media_root: str,
    prefix: str,
    content_type: str,
    filename: str,
    cache_control: str,
) -> HttpResponse:
    """Hand the file at ``path`` to nginx's internal location under ``prefix``.

    Ondas has already decided who may hear it; nginx then answers the Range,
    the validators and HEAD from the file itself and sends the bytes with
    sendfile. Raises FileNotFoundError when the file is gone, so the listener
    gets Ondas's 404 rather than nginx's, and ValueError for a path outside
    ``media_root`` (never handed to nginx).
    """
    relative = media_relative_path(path, media_root)
    response = HttpResponse(content_type=content_type)
    response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(relative)
    response.headers["Cache-Control"] = cache_control
    if disposition := content_disposition_header(False, filename):
        response.headers["Content-Disposition"] = disposition
    return response


def file_deliver(
    request: HttpRequest,
    *,
    file_id: int,
    path: str,
    content_type: str,
    filename: str,
    cache_control: str,
) -> HttpResponseBase:
    """Send the file at ``path``: by nginx when it is in front (X-Accel-Redirect),
    else with ranges and validators from here.

    Raises FileNotFoundError when the file is gone, and ValueError for a path
    outside the media root when nginx is in front. Shared by the audio view
    and the lean audio path (``ondas.playback.lean``). The person the
    right was asked for, if any, is ``request.META[LISTENER_KEY]``
    (``core.delivery``), set by the caller.
    """
    if settings.ONDAS_AUDIO_ACCEL_PREFIX:
        accel = accel_redirect(
            path=path,
            media_root=str(settings.MEDIA_ROOT),
            prefix=settings.ONDAS_AUDIO_ACCEL_PREFIX,
            content_type=content_type,
            filename=filename,
            cache_control=cache_control,
        )
        # nginx logs these for the delivery log, and hides them.
        accel.headers[AUDIO_HEADER] = str(file_id)
        if (listener := request.META.get(LISTENER_KEY)) is not None:
            accel.headers[LISTENER_HEADER] = str(listener)
        return accel
    served = serve_file(
        request,
        path=path,
        file_id=file_id,
        content_type=content_type,
        filename=filename,
        cache_control=cache_control,
    )
    # `ondas serve` logs it once sent (analytics.servelog).
    request.META[AUDIO_KEY] = file_id
    return served


def audio_cache_control(access: str) -> str:
    """The Cache-Control of audio with this ``Episode.Access``."""
    # Exclusive audio is for one listener: no shared cache keeps it, and the
    # browser asks again, so the right to listen is checked each time.
    if access == Episode.Access.FREE:
        return "public, max-age=86400"
    return "private, no-cache"


def audio_filename(audio: AudioFile) -> str:
    """The name a listener's download gets: the stored file's own."""
    return str(audio.file.name).rsplit("/", 1)[-1]
