"""The API's one error shape: ``{"error": {"code", "message", "field"}}``.

Every 4xx and 5xx under ``/api/`` has it: OndasErrors from services, ninja's
own refusals (validation, authentication, throttling) through the handlers
here, and whatever Django answers outside ninja (an unknown path, a method
not allowed, a crash) through ``middleware.ApiErrorShapeMiddleware``.
"""

from __future__ import annotations

import logging

import pydantic
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from ondas.core.errors import ErrorCode, OndasError
from ondas.core.jsonbody import refusal_from_errors

logger = logging.getLogger(__name__)


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorBody


ERROR_RESPONSES: dict[int, type[ErrorOut]] = {
    status: ErrorOut for status in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}


def error_response(
    status: int, code: str, message: str, field: str | None = None
) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def status_message(status: int) -> tuple[str, str]:
    """A code and a sentence for an HTTP status nobody explained."""
    if status == 404:
        return ErrorCode.NOT_FOUND, _("There is nothing at this address.")
    if status == 405:
        return ErrorCode.METHOD_NOT_ALLOWED, _(
            "This address does not take this method."
        )
    if status == 403:
        return ErrorCode.CSRF_FAILED, _("This request was refused (CSRF check failed).")
    if status == 401:
        return ErrorCode.SIGN_IN_REQUIRED, _("Sign in, or send an access token.")
    if status == 429:
        return ErrorCode.RATE_LIMITED, _("Too many requests: try again later.")
    if status >= 500:
        return ErrorCode.SERVER_ERROR, _("Something went wrong on our side.")
    return ErrorCode.INVALID_REQUEST, _("This request could not be understood.")


def _ondas(request: HttpRequest, exc: object) -> HttpResponse:
    assert isinstance(exc, OndasError)
    field = exc.data.get("field")
    return error_response(
        exc.http_status,
        str(exc.code),
        exc.message,
        field if isinstance(field, str) else None,
    )


def _validation(request: HttpRequest, exc: object) -> HttpResponse:
    assert isinstance(exc, ValidationError)
    # ninja's locations start with where the value came from; a body's then
    # names the body's parameter.
    errors = list(exc.errors)
    source = errors[0]["loc"][0] if errors and errors[0].get("loc") else ""
    refusal = refusal_from_errors(errors, skip=2 if source == "body" else 1)
    field = refusal.data.get("field")
    return error_response(
        422,
        str(refusal.code),
        refusal.message,
        field if isinstance(field, str) else None,
    )


def _pydantic(request: HttpRequest, exc: object) -> HttpResponse:
    """A schema checked again in the operation (with the item's length)."""
    assert isinstance(exc, pydantic.ValidationError)
    refusal = refusal_from_errors(exc.errors())
    field = refusal.data.get("field")
    return error_response(
        422,
        str(refusal.code),
        refusal.message,
        field if isinstance(field, str) else None,
    )


def _http(request: HttpRequest, exc: object) -> HttpResponse:
    assert isinstance(exc, HttpError)
    code, message = status_message(exc.status_code)
    if isinstance(exc, Throttled):
        code, message = status_message(429)
    elif isinstance(exc, AuthenticationError):
        code, message = status_message(401)
    return error_response(exc.status_code, code, message)


def _not_found(request: HttpRequest, exc: object) -> HttpResponse:
    code, message = status_message(404)
    return error_response(404, code, message)


def _crash(request: HttpRequest, exc: object) -> HttpResponse:
    logger.error(
        "API request %s %s failed",
        request.method,
        request.path,
        exc_info=exc if isinstance(exc, BaseException) else None,
    )
    code, message = status_message(500)
    return error_response(500, code, message)


def error_handlers_install(api: NinjaAPI) -> None:
    """Replace ninja's handlers (``{"detail": …}``, 422 lists) with ours."""
    api.add_exception_handler(Exception, _crash)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(HttpError, _http)
    api.add_exception_handler(ValidationError, _validation)
    api.add_exception_handler(OndasError, _ondas)
    api.add_exception_handler(pydantic.ValidationError, _pydantic)
