"""Reading a JSON request body, whatever a client sends instead.

Every JSON endpoint reads its body through ``json_object``: a body in another
format is ``415``, one over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is ``413``, and
anything that is not a JSON object of storable text is ``400``, each as an
``OndasError`` the endpoint renders in its JSON error shape. Nothing here
lets an odd body reach a service: a form post (whose body the CSRF check has
already consumed) or a lone UTF-16 surrogate (valid JSON, but no text a
database can store) used to raise deep inside and answer 500.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _

from ondas.core.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

JSON_TYPE = "application/json"
M = TypeVar("M", bound=pydantic.BaseModel)


def _refuse_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are no numbers a client sends


def body_too_large(limit: int | None = None) -> PayloadTooLarge:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
    return PayloadTooLarge(
        _("The request body is larger than the %(limit)s bytes this accepts.")
        % {"limit": limit},
        limit=limit,
    )


def is_json_type(content_type: str) -> bool:
    """``application/json`` or any ``+json`` type, parameters aside."""
    media = content_type.split(";", 1)[0].strip().lower()
    suffixed = media.startswith("application/") and media.endswith("+json")
    return media == JSON_TYPE or suffixed


def _not_json(content_type: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        _("This accepts a JSON body (Content-Type: application/json)."),
        expected=JSON_TYPE,
        received=content_type.split(";", 1)[0].strip()[:100],
    )


def json_object(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object ({} when empty); raise 415, 413 or 400 otherwise."""
    content_type = request.META.get("CONTENT_TYPE", "")
    declared = int(request.META.get("CONTENT_LENGTH") or 0) > 0
    if content_type and not is_json_type(content_type) and declared:
        raise _not_json(content_type)
    try:
        raw = request.body
    except RequestDataTooBig:
        raise body_too_large() from None
    except RawPostDataException:
        # The body was read as a form already: it was no JSON.
        raise _not_json(content_type) from None
    try:
        data = json.loads(raw or b"{}", parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise InvalidRequest(reason=_("The request body must be a JSON object."))
    if not _storable(data):
        raise InvalidRequest(
            reason=_("The request body holds text that is not valid Unicode.")
        )
    return data


def json_any(request: HttpRequest) -> object:
    """The body as any JSON value, whatever Content-Type says (None when empty).

    For protocols whose clients label JSON as a form (gpodder.net's, sent by
    urllib with its default type): 413 and 400 as ``json_object``.
    """
    try:
        raw = request.body
    except RequestDataTooBig:
        raise body_too_large() from None
    except RawPostDataException:
        raise _not_json(request.META.get("CONTENT_TYPE", "")) from None
    if not raw.strip():
        return None
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InvalidRequest(reason=_("The request body is not valid JSON.")) from None
    if not _storable(data):
        raise InvalidRequest(
            reason=_("The request body holds text that is not valid Unicode.")
        )
    return data


def _storable(value: object) -> bool:
    """No string anywhere in ``value`` (keys included) holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _field_name(loc: tuple[object, ...] | list[object]) -> str:
    """``("intervals", 0, "start")`` as ``intervals.0.start``."""
    return ".".join(str(part) for part in loc)


def refusal_from_errors(errors: list[Any], *, skip: int = 0) -> InvalidRequest:
    """The first of pydantic's errors as an InvalidRequest, in our own words.

    ``skip`` drops leading parts of each location (ninja puts ``body`` and the
    parameter's name first).
    """
    first = errors[0] if errors else {}
    loc = list(first.get("loc", ()))[skip:]
    field = _field_name(loc) or None
    kind = str(first.get("type", ""))
    ctx = first.get("ctx") or {}
    name = field or _("the body")
    if kind == "missing":
        reason = _("“%(field)s” is missing.") % {"field": name}
    elif kind == "value_error" and "error" in ctx:
        reason = str(ctx["error"])
    elif kind in ("greater_than_equal", "greater_than"):
        reason = _("“%(field)s” must be at least %(limit)s.") % {
            "field": name,
            "limit": ctx.get("ge", ctx.get("gt")),
        }
    elif kind in ("less_than_equal", "less_than"):
        reason = _("“%(field)s” must be at most %(limit)s.") % {
            "field": name,
            "limit": ctx.get("le", ctx.get("lt")),
        }
    elif kind == "string_too_long":
        reason = _("“%(field)s” must be text of at most %(max)s characters.") % {
            "field": name,
            "max": ctx.get("max_length"),
        }
    elif kind == "too_long":
        reason = _("“%(field)s” holds more than %(max)s items.") % {
            "field": name,
            "max": ctx.get("max_length"),
        }
    else:
        reason = _("“%(field)s” is not valid here.") % {"field": name}
    return InvalidRequest(reason=reason, field=field)


def json_model(
    request: HttpRequest, model: type[M], *, context: Mapping[str, object] | None = None
) -> M:
    """The body read by ``json_object`` and checked by the pydantic ``model``.

    The same schemas serve the JSON API (``ondas.api``), so there is one way
    to read JSON; a body that does not fit is an InvalidRequest (400) naming
    the field.
    """
    data = json_object(request)
    try:
        return model.model_validate(data, context=dict(context or {}))
    except pydantic.ValidationError as error:
        raise refusal_from_errors(error.errors()) from None
