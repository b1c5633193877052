"""The tus endpoints under ``/studio/uploads/`` and the plain form post.

Signed-in people only; an upload is its creator's, and anyone else's id
answers 404 like a missing one. Cross-site requests: these endpoints stay
under Django's CSRF check, so every POST, PATCH and DELETE must carry the
``X-CSRFToken`` header (the widget reads it from the cookie) and, where the
browser sends ``Origin``, come from this site; tus's own ``Tus-Resumable``
header is required too. Both are headers a page on another site cannot add
without a CORS preflight, which these endpoints never grant.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from ondas.accounts.types import AuthedHttpRequest
from ondas.core.errors import (
    InvalidRequest,
    OndasError,
    SignInRequired,
    UnsupportedMediaType,
)
from ondas.studio.uploads import tus
from ondas.studio.uploads.errors import (
    UploadExpired,
    UploadTooLarge,
    UploadVersionUnsupported,
)
from ondas.studio.uploads.models import Upload
from ondas.studio.uploads.selectors import (
    upload_detail,
    upload_get_for_user,
    upload_is_expired,
    upload_offset,
)
from ondas.studio.uploads.services import (
    upload_append,
    upload_create,
    upload_receive_file,
    upload_terminate,
)

View = Callable[[HttpRequest], HttpResponse]


def _tus_headers(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = tus.VERSION
    response["Cache-Control"] = "no-store"
    return response


def _error(error: OndasError, *, head: bool = False) -> HttpResponse:
    response: HttpResponse = (
        HttpResponse(status=error.http_status)
        if head
        else JsonResponse(error.as_dict(), status=error.http_status)
    )
    if isinstance(error, UploadVersionUnsupported):
        response["Tus-Version"] = tus.VERSION
    return _tus_headers(response)


def _options() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Resumable"] = tus.VERSION
    response["Tus-Version"] = tus.VERSION
    response["Tus-Extension"] = tus.EXTENSIONS
    response["Tus-Max-Size"] = str(settings.ONDAS_UPLOAD_MAX_BYTES)
    response["Tus-Checksum-Algorithm"] = ",".join(tus.CHECKSUM_ALGORITHMS)
    return response


def _method(request: HttpRequest) -> str:
    override = request.headers.get("X-HTTP-Method-Override", "").upper()
    method = request.method or "GET"
    return override if method == "POST" and override else method


def _check_request(request: HttpRequest, method: str) -> None:
    if not request.user.is_authenticated:
        raise SignInRequired(_("Sign in to upload."))
    version = request.headers.get("Tus-Resumable")
    if method not in ("OPTIONS", "GET") and version != tus.VERSION:
        raise UploadVersionUnsupported(version=version or _("no version"))


def _offset_response(offset: int, expires: str, *, status: int = 204) -> HttpResponse:
    response = HttpResponse(status=status)
    response["Upload-Offset"] = str(offset)
    response["Upload-Expires"] = expires
    return _tus_headers(response)


@never_cache
def uploads_view(request: HttpRequest) -> HttpResponse:
    """``OPTIONS`` (what this server speaks) and ``POST`` (creation)."""
    method = _method(request)
    if method == "OPTIONS":
        return _options()
    try:
        _check_request(request, method)
        if method != "POST":
            return _tus_headers(
                HttpResponse(status=405, headers={"Allow": "POST, OPTIONS"})
            )
        metadata = tus.metadata_parse(request.headers.get("Upload-Metadata", ""))
        upload = upload_create(
            owner=_authed(request).user,
            length=tus.length_parse(
                request.headers.get("Upload-Length"), name="Upload-Length"
            ),
            filename=metadata.get("filename") or metadata.get("name") or "",
            declared_type=metadata.get("filetype") or metadata.get("type") or "",
        )
    except OndasError as error:
        return _error(error)
    response = _offset_response(0, tus.expires_header(upload.expires_at), status=201)
    response["Location"] = request.build_absolute_uri(
        reverse("studio:upload-detail", kwargs={"upload_id": upload.pk})
    )
    return response


@never_cache
def upload_detail_view(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """``HEAD`` (the offset), ``PATCH`` (append), ``DELETE`` (termination),
    ``OPTIONS``, and ``GET``: the upload and its stored audio as JSON."""
    method = _method(request)
    if method == "OPTIONS":
        return _options()
    try:
        _check_request(request, method)
        upload = upload_get_for_user(user=_authed(request).user, upload_id=upload_id)
        if method == "HEAD":
            if upload_is_expired(upload=upload):
                raise UploadExpired()
            response = _offset_response(
                upload_offset(upload=upload),
                tus.expires_header(upload.expires_at),
                status=200,
            )
            response["Upload-Length"] = str(upload.length)
            return response
        if method == "GET":
            return _tus_headers(JsonResponse(upload_detail(upload=upload)))
        if method == "DELETE":
            upload_terminate(upload=upload)
            return _tus_headers(HttpResponse(status=204))
        if method == "PATCH":
            return _patch(request, upload=upload)
        return _tus_headers(HttpResponse(status=405))
    except OndasError as error:
        return _error(error, head=method == "HEAD")


def _patch(request: HttpRequest, *, upload: Upload) -> HttpResponse:
    if request.content_type != tus.OFFSET_TYPE:
        raise UnsupportedMediaType(
            _("A PATCH body must be %(type)s.") % {"type": tus.OFFSET_TYPE},
            expected=tus.OFFSET_TYPE,
            received=request.content_type or "",
        )
    if "CONTENT_LENGTH" not in request.META:
        return _tus_headers(HttpResponse(status=411))
    # Read from the request's stream a block at a time, never request.body.
    done = upload_append(
        upload=upload,
        offset=tus.length_parse(
            request.headers.get("Upload-Offset"), name="Upload-Offset"
        ),
        stream=request,
        content_length=tus.length_parse(
            request.META["CONTENT_LENGTH"], name="Content-Length"
        ),
        checksum=tus.checksum_parse(request.headers.get("Upload-Checksum")),
    )
    response = _offset_response(
        upload_offset(upload=done), tus.expires_header(done.expires_at)
    )
    if done.audio_id is not None:
        response["Ondas-Audio-Id"] = str(done.audio_id)
    return response


@csrf_exempt  # checked below, once the body is bounded and goes to disk
def upload_form_view(request: HttpRequest) -> HttpResponse:
    """A plain multipart form post (field ``file``) for a file of at most
    ``ONDAS_UPLOAD_FORM_MAX_BYTES``; bigger files go through tus."""
    if not request.user.is_authenticated:
        return JsonResponse(
            SignInRequired(_("Sign in to upload.")).as_dict(), status=401
        )
    limit = settings.ONDAS_UPLOAD_FORM_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    # Refuse before anything reads the body (the CSRF check would parse it).
    if length > limit + 64 * 1024:
        error = UploadTooLarge(length=length, limit=limit)
        return JsonResponse(error.as_dict(), status=error.http_status)
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return _upload_form_checked(request)


@csrf_protect
def _upload_form_checked(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    received = request.FILES.get("file")
    try:
        if received is None:
            raise InvalidRequest(reason=_("Choose a file to upload."))
        upload = upload_receive_file(owner=_authed(request).user, received=received)
    except OndasError as error:
        return JsonResponse(error.as_dict(), status=error.http_status)
    return JsonResponse(upload_detail(upload=upload), status=201)


def _authed(request: HttpRequest) -> AuthedHttpRequest:
    return request  # type: ignore[return-value]
