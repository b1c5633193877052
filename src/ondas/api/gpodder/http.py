"""What every gpodder.net endpoint shares: the methods it takes, the rate
limit, bodies read as JSON whatever their Content-Type, and errors in the
API's one shape (``{"error": {"code", "message", "field"}}``), a 401 with the
Basic challenge that clients answer with their credentials."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import pydantic
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ondas.api.errors import error_response, status_message
from ondas.api.gpodder.auth import REALM
from ondas.api.throttle import WindowThrottle
from ondas.core.errors import InvalidRequest, OndasError
from ondas.core.jsonbody import json_any, refusal_from_errors

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=pydantic.BaseModel)
View = Callable[..., HttpResponse]

_throttle = WindowThrottle()
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ondas_error(error: OndasError) -> JsonResponse:
    field = error.data.get("field")
    response = error_response(
        error.http_status,
        str(error.code),
        error.message,
        field if isinstance(field, str) else None,
    )
    if error.http_status == 401:
        response["WWW-Authenticate"] = REALM
    if retry_after := error.data.get("retry_after"):
        response["Retry-After"] = str(retry_after)
    return response


def gpodder_endpoint(*methods: str) -> Callable[[View], View]:
    """Wrap a view: only ``methods``, rate-limited, OndasErrors as JSON."""

    def wrap(view: View) -> View:
        @csrf_exempt  # apps send no CSRF token; see auth.py for sessions
        @functools.wraps(view)
        def wrapped(
            request: HttpRequest, *args: object, **kwargs: object
        ) -> HttpResponse:
            if request.method not in methods:
                code, message = status_message(405)
                response = error_response(405, code, message)
                response["Allow"] = ", ".join(methods)
                return response
            if not _throttle.allow_request(request):
                code, message = status_message(429)
                response = error_response(429, code, message)
                response["Retry-After"] = str(int(_throttle.wait() or 1))
                return response
            try:
                return view(request, *args, **kwargs)
            except OndasError as error:
                return _ondas_error(error)

        return wrapped

    return wrap


def body_as(request: HttpRequest, model: type[M]) -> M:
    """The JSON body checked by ``model``; InvalidRequest (400) naming the field."""
    try:
        return model.model_validate(json_any(request))
    except pydantic.ValidationError as error:
        raise refusal_from_errors(error.errors()) from None


def body_list_as(request: HttpRequest, model: type[M]) -> list[M]:
    data = json_any(request)
    if not isinstance(data, list):
        raise InvalidRequest(reason=_("The request body must be a JSON list."))
    try:
        return pydantic.TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]
    except pydantic.ValidationError as error:
        raise refusal_from_errors(error.errors()) from None


def since_param(request: HttpRequest) -> datetime | None:
    """``?since=`` (Unix seconds) as a time; None when absent or 0."""
    raw = request.GET.get("since", "").strip()
    if not raw:
        return None
    try:
        seconds = int(raw)
        if seconds < 0:
            raise ValueError(raw)
        return datetime.fromtimestamp(seconds, UTC) if seconds else None
    except (ValueError, OverflowError, OSError):
        raise InvalidRequest(
            reason=_("“since” is a timestamp in whole seconds."), field="since"
        ) from None


def json_answer(body: object, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False)
    response["Cache-Control"] = "private, no-store"
    return response


def timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def iso(moment: datetime) -> str:
    """gpodder.net's time format: UTC, seconds, no zone."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
