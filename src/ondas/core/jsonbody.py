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
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _

from ondas.core.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

JSON_TYPE = "application/json"


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
