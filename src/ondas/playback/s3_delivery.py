"""Send audio whose bytes are in the S3 bucket (``core.media``), after the
right to hear it was checked, as ``delivery.file_deliver`` sends local files.

Three ways, by settings:

- behind nginx (``ONDAS_AUDIO_ACCEL_PREFIX`` set, ``ONDAS_S3_DELIVERY=proxy``,
  the default): ``X-Accel-Redirect`` to nginx's internal location
  ``ONDAS_S3_ACCEL_PREFIX``. Its path carries the audio and listener ids (for
  nginx's delivery log), the byte range Ondas decided, and the path and query
  of a presigned request that expires in a minute; nginx sends that request to
  the endpoint and passes the object's bytes on. The client never sees the
  endpoint, the bucket or the signature;
- without nginx: the object is streamed from the endpoint in chunks (the
  range only, flat memory), with the same Range/HEAD/If-Range rules as a
  local file;
- ``ONDAS_S3_DELIVERY=redirect``: a 302 to a presigned URL that expires in
  ``ONDAS_S3_URL_SECONDS``; the client fetches the bytes from the endpoint
  itself (and the delivery log does not see them).

The validators are the object's own (S3's ETag and Last-Modified), whichever
way the bytes go, so a player's If-Range means the same on every path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header

from ondas.core.delivery import AUDIO_HEADER, AUDIO_KEY, LISTENER_HEADER, LISTENER_KEY
from ondas.core.media import S3, storage_for
from ondas.playback.delivery import range_to_send, validator_headers
from ondas.playback.ranges import ByteRange, RangeNotSatisfiable

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
# nginx sends the presigned request at once: a minute is plenty.
PROXY_URL_SECONDS = 60
_CONDITIONALS = (
    "HTTP_IF_RANGE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


@dataclass(frozen=True)
class ObjectStat:
    size: int
    etag: str
    mtime: int  # seconds since the epoch


def _client() -> Any:
    storage = storage_for(S3)
    return storage.connection.meta.client  # type: ignore[attr-defined]


def _bucket() -> str:
    return str(storage_for(S3).bucket_name)  # type: ignore[attr-defined]


def _missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def object_stat(key: str) -> ObjectStat:
    """The object's size and validators (HEAD); FileNotFoundError when gone."""
    try:
        head = _client().head_object(Bucket=_bucket(), Key=key)
    except ClientError as error:
        if _missing(error):
            raise FileNotFoundError(key) from None
        raise
    return ObjectStat(
        size=int(head["ContentLength"]),
        etag=str(head["ETag"]),
        mtime=int(head["LastModified"].timestamp()),
    )


def presigned_url(
    *,
    key: str,
    method: str,
    expires: int,
    content_type: str,
    filename: str,
    cache_control: str,
) -> str:
    """A URL that answers ``method`` (GET or HEAD) for the object until
    ``expires`` seconds from now, with the headers Ondas would send."""
    params: dict[str, str] = {
        "Bucket": _bucket(),
        "Key": key,
        "ResponseContentType": content_type,
        "ResponseCacheControl": cache_control,
    }
    if disposition := content_disposition_header(False, filename):
        params["ResponseContentDisposition"] = disposition
    operation = "head_object" if method == "HEAD" else "get_object"
    return str(
        _client().generate_presigned_url(operation, Params=params, ExpiresIn=expires)
    )


def _conditional(
    request: HttpRequest, stat: ObjectStat, cache_control: str
) -> HttpResponseBase | None:
    """The 304/412 that the request's validators call for, or None."""
    answer = get_conditional_response(request, etag=stat.etag, last_modified=stat.mtime)
    if answer is not None:
        headers = validator_headers(
            etag=stat.etag, mtime=stat.mtime, cache_control=cache_control
        )
        for name, value in headers.items():
            answer.headers[name] = value
    return answer


def _unsatisfiable(size: int, cache_control: str) -> HttpResponse:
    response = HttpResponse(status=416)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = cache_control
    response.headers["Content-Range"] = f"bytes */{size}"
    return response


def s3_accel_redirect(
    request: HttpRequest,
    *,
    audio_id: int,
    key: str,
    size: int,
    content_type: str,
    filename: str,
    cache_control: str,
) -> HttpResponseBase:
    """Hand the object to nginx's internal S3 location (see the module doc).

    ``size`` is the row's (verified when the bytes were stored), so a range
    is decided without asking the endpoint; a request with validators costs
    one HEAD to the endpoint, and Ondas answers its 304, 412 or If-Range.
    """
    etag, mtime = "", 0
    if any(name in request.META for name in _CONDITIONALS):
        stat = object_stat(key)
        size, etag, mtime = stat.size, stat.etag, stat.mtime
        if (answer := _conditional(request, stat, cache_control)) is not None:
            return answer
    byte_range: ByteRange | None = None
    if request.method == "GET":
        try:
            byte_range = range_to_send(
                range_header=request.headers.get("Range"),
                if_range=request.headers.get("If-Range") if etag else None,
                etag=etag,
                mtime=mtime,
                size=size,
            )
        except RangeNotSatisfiable:
            return _unsatisfiable(size, cache_control)
    signed = urlsplit(
        presigned_url(
            key=key,
            method=str(request.method),
            expires=PROXY_URL_SECONDS,
            content_type=content_type,
            filename=filename,
            cache_control=cache_control,
        )
    )
    listener = request.META.get(LISTENER_KEY)
    span = "-" if byte_range is None else f"{byte_range.start}-{byte_range.end}"
    # The object's path as the endpoint signed it (already quoted).
    target = (
        f"{settings.ONDAS_S3_ACCEL_PREFIX}{audio_id}/"
        f"l{'' if listener is None else int(listener)}/{span}{signed.path}?{signed.query}"
    )
    response = HttpResponse(content_type=content_type)
    response.headers["X-Accel-Redirect"] = target
    # For nginx's delivery log; the location logs them from its path too.
    response.headers[AUDIO_HEADER] = str(audio_id)
    if listener is not None:
        response.headers[LISTENER_HEADER] = str(listener)
    return response


def s3_redirect(
    request: HttpRequest,
    *,
    key: str,
    content_type: str,
    filename: str,
    cache_control: str,
) -> HttpResponse:
    """A 302 to a presigned URL; the answer itself is never kept by a cache."""
    url = presigned_url(
        key=key,
        method=str(request.method),
        expires=int(settings.ONDAS_S3_URL_SECONDS),
        content_type=content_type,
        filename=filename,
        cache_control=cache_control,
    )
    response = HttpResponse(status=302)
    response.headers["Location"] = url
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


def s3_stream(
    request: HttpRequest,
    *,
    audio_id: int,
    key: str,
    content_type: str,
    filename: str,
    cache_control: str,
) -> HttpResponseBase:
    """Answer GET or HEAD from the object, a chunk at a time (FileNotFoundError
    when it is gone)."""
    stat = object_stat(key)
    if (answer := _conditional(request, stat, cache_control)) is not None:
        return answer
    headers = validator_headers(
        etag=stat.etag, mtime=stat.mtime, cache_control=cache_control
    )
    if disposition := content_disposition_header(False, filename):
        headers["Content-Disposition"] = disposition
    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type, headers=headers)
        response.headers["Content-Length"] = str(stat.size)
        return response
    try:
        byte_range = range_to_send(
            range_header=request.headers.get("Range"),
            if_range=request.headers.get("If-Range"),
            etag=stat.etag,
            mtime=stat.mtime,
            size=stat.size,
        )
    except RangeNotSatisfiable:
        return _unsatisfiable(stat.size, cache_control)
    params: dict[str, str] = {"Bucket": _bucket(), "Key": key, "IfMatch": stat.etag}
    if byte_range is not None:
        params["Range"] = f"bytes={byte_range.start}-{byte_range.end}"
    try:
        got = _client().get_object(**params)
    except ClientError as error:
        if _missing(error):
            raise FileNotFoundError(key) from None
        raise
    streamed = StreamingHttpResponse(
        _chunks(got["Body"]), content_type=content_type, headers=headers
    )
    if byte_range is None:
        streamed.headers["Content-Length"] = str(stat.size)
    else:
        streamed.status_code = 206
        streamed.headers["Content-Length"] = str(byte_range.length)
        streamed.headers["Content-Range"] = byte_range.content_range(stat.size)
    # `ondas serve` logs it once sent (analytics.servelog).
    request.META[AUDIO_KEY] = audio_id
    return streamed


def s3_deliver(
    request: HttpRequest,
    *,
    audio_id: int,
    key: str,
    size: int,
    content_type: str,
    filename: str,
    cache_control: str,
) -> HttpResponseBase:
    """Send the object ``key`` the way the settings say (the module doc)."""
    if settings.ONDAS_S3_DELIVERY == "redirect":
        return s3_redirect(
            request,
            key=key,
            content_type=content_type,
            filename=filename,
            cache_control=cache_control,
        )
    if settings.ONDAS_AUDIO_ACCEL_PREFIX:
        return s3_accel_redirect(
            request,
            audio_id=audio_id,
            key=key,
            size=size,
            content_type=content_type,
            filename=filename,
            cache_control=cache_control,
        )
    return s3_stream(
        request,
        audio_id=audio_id,
        key=key,
        content_type=content_type,
        filename=filename,
        cache_control=cache_control,
    )
