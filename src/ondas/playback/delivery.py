"""Send an audio file's bytes: whole, or one byte range, with validators.

The bytes never pass through Python under `ondas serve`: Django's
``FileResponse`` reaches Gunicorn's ``wsgi.file_wrapper``, which calls
``sendfile(2)`` from the descriptor's current offset for ``Content-Length``
bytes. We seek the descriptor to the range start and set that length.
"""

from __future__ import annotations

import logging
import os
from typing import BinaryIO

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from ondas.playback.ranges import (
    ByteRange,
    RangeNotSatisfiable,
    parse_range,
    strong_etag_matches,
)

logger = logging.getLogger(__name__)


class RangeFile:
    """A read-only view of ``length`` bytes of an open file, from its offset.

    ``fileno()`` exposes the real descriptor so a server can ``sendfile`` it;
    ``read()`` stops at the range end for servers (and test clients) that copy.
    """

    def __init__(self, raw: BinaryIO, length: int) -> None:
        self._raw = raw
        self._left = length

    def fileno(self) -> int:
        return self._raw.fileno()

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size < 0 else min(size, self._left)
        data = self._raw.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._raw.close()


def etag_for(file_id: int, stat: os.stat_result) -> str:
    """A strong validator: changes whenever the bytes on disk could have."""
    return f'"{file_id:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def _if_range_allows(request: HttpRequest, etag: str, mtime: int) -> bool:
    if_range = request.headers.get("If-Range")
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', 'W/"')):
        return strong_etag_matches(if_range, etag)
    date = parse_http_date_safe(if_range)
    return date is not None and date == mtime


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
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": etag,
            "Last-Modified": http_date(mtime),
            "Cache-Control": cache_control,
        }
        conditional = get_conditional_response(
            request, etag=etag, last_modified=mtime
        )
        if conditional is not None:
            raw.close()
            for name, value in headers.items():
                conditional.headers[name] = value
            return conditional

        byte_range: ByteRange | None = None
        if request.method == "GET" and _if_range_allows(request, etag, mtime):
            try:
                byte_range = parse_range(request.headers.get("Range"), size)
            except RangeNotSatisfiable:
                raw.close()
                response = HttpResponse(status=416, headers=headers)
                response.headers["Content-Range"] = f"bytes */{size}"
                return response

        if request.method == "HEAD":
            raw.close()
            response = HttpResponse(content_type=content_type, headers=headers)
            response.headers["Content-Length"] = str(size)
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
        file_response.headers["Content-Length"] = str(byte_range.length)
        file_response.headers["Content-Range"] = byte_range.content_range(size)
        return file_response
    except BaseException:
        raw.close()
        raise
