"""Django's error handlers: what a request gets when no view answered it.

``handler500`` answers a storage fault (``core.faults``: a busy or full
database, a read-only or failing disk) with ``503`` and ``Retry-After``
instead of the 500 page, drops the database connection that hit it and
counts it in ``/metrics``; ``handler400`` answers a body over the size limit
with ``413``. Both answer in the endpoint's own format (``core.answers``):
the JSON error shape for a JSON endpoint, the error page otherwise.
"""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.translation import get_language

from ondas.core.answers import wants_json
from ondas.core.errors import OndasError
from ondas.core.faults import (
    FaultKind,
    StorageUnavailable,
    connections_drop_faulty,
    storage_fault,
)
from ondas.core.jsonbody import body_too_large
from ondas.ops import metrics
from ondas.web.templatetags.ondas_tags import error_heading

logger = logging.getLogger(__name__)

# When even the error page cannot be rendered (its layout reads the session,
# which lives in the database): the same words, without the layout.
_BARE_PAGE = (
    '<!doctype html><html lang="%(lang)s"><meta charset="utf-8">'
    "<title>%(status)s</title><h1>%(heading)s</h1><p>%(message)s</p></html>"
)


def error_answer(request: HttpRequest, error: OndasError) -> HttpResponse:
    """``error`` in the endpoint's format, kept by no cache."""
    status = error.http_status
    if wants_json(request):
        response: HttpResponse = JsonResponse(error.as_dict(), status=status)
    else:
        response = _page(request, status, error)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _page(request: HttpRequest, status: int, error: OndasError | None) -> HttpResponse:
    try:
        return render(
            request,
            "ondas/error.html",
            {"error": error, "status": status},
            status=status,
        )
    except Exception:  # noqa: BLE001 - the storage may fail the page too
        logger.warning("The error page could not be rendered", exc_info=True)
        page = _BARE_PAGE % {
            "lang": escape(get_language() or "es"),
            "status": status,
            "heading": escape(error_heading(status)),
            "message": escape(error.message if error else ""),
        }
        return HttpResponse(page, status=status)


def _mark_logged(response: HttpResponse) -> None:
    # Django's log_response skips a response marked so: these are logged here,
    # in one line, without the traceback of an error nobody has to debug.
    response._has_been_logged = True  # type: ignore[attr-defined]


def storage_fault_answer(
    request: HttpRequest, fault: StorageUnavailable, exc: BaseException
) -> HttpResponse:
    """Answer a storage fault: 503, Retry-After, counted, the connection dropped."""
    if fault.kind is not FaultKind.BUSY:
        # A lock leaves the connection as it was; anything else may have left
        # it read-only for good (SQLite keeps what it found at open).
        connections_drop_faulty()
    metrics.storage_fault_answered(str(fault.kind))
    response = error_answer(request, fault)
    response.headers["Retry-After"] = str(fault.retry_after)
    level = logging.WARNING if fault.kind is FaultKind.BUSY else logging.ERROR
    logger.log(
        level,
        "Storage fault (%s), answered 503: %s %s: %s",
        fault.kind,
        request.method,
        request.path,
        exc,
    )
    _mark_logged(response)
    return response


def server_error_view(request: HttpRequest) -> HttpResponse:
    """The 500 page, or a 503 when the error being handled is a storage fault.

    Django calls this while it handles the exception, so ``sys.exc_info()``
    holds it.
    """
    exc = sys.exc_info()[1]
    fault = storage_fault(exc) if exc is not None else None
    if exc is not None and fault is not None:
        return storage_fault_answer(request, fault, exc)
    return _page(request, 500, None)


def bad_request_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """413 for a body over the size limit; the 400 page for other bad requests."""
    if isinstance(exception, RequestDataTooBig):
        error = body_too_large()
        response = error_answer(request, error)
        logger.warning(
            "Request body over the limit of %s bytes: %s %s",
            error.data["limit"],
            request.method,
            request.path,
        )
        _mark_logged(response)
        return response
    return _page(request, 400, None)
