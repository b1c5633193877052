"""Which format an endpoint answers its errors in: JSON, or the error page.

An error raised where no view renders it (a storage fault, a body over the
size limit found by the CSRF check) is answered by Django's error handlers
(``web.errors``). They answer a JSON endpoint in the JSON error shape
(``OndasError.as_dict``) and anything else with the HTML error page. A view
says it is a JSON endpoint with ``answers_json``; decorators that use
``functools.wraps`` (``require_POST`` and the like) keep the mark.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest
from django.urls import Resolver404, resolve

from ondas.core.jsonbody import is_json_type

_MARK = "ondas_answers_json"

View = TypeVar("View", bound=Callable[..., object])


def answers_json(view: View) -> View:
    """Mark ``view`` as a JSON endpoint: its errors are answered as JSON."""
    setattr(view, _MARK, True)
    return view


def wants_json(request: HttpRequest) -> bool:
    """Whether an error for ``request`` is answered as JSON.

    The view's mark decides; a request that did not reach URL resolution is
    resolved here. For a path no view serves, a client that asks only for
    JSON, or sent JSON, gets JSON.
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
    if match is not None:
        return bool(getattr(match.func, _MARK, False))
    accept = request.headers.get("Accept", "")
    if "json" in accept and "html" not in accept:
        return True
    return is_json_type(request.headers.get("Content-Type", ""))
