"""The API's first version, at /api/v1/: OpenAPI at openapi.json, docs at docs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.types import DictStrAny

from ondas.api import catalog, listener, listening, search, studio
from ondas.api.errors import error_handlers_install
from ondas.api.throttle import WindowThrottle
from ondas.core.jsonbody import json_object


class OndasParser(Parser):
    """Bodies are read as everywhere else (``core.jsonbody``): 415, 413, 400."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data: dict[str, Any] = json_object(request)
        return data


api = NinjaAPI(
    title="Ondas API",
    version="1",
    description=(
        "Shows, episodes and audiobooks; search; a listener's follows, places, "
        "bookmarks, listening reports, subscription and private feeds; a "
        "creator's studio (shows, episodes, numbers, books). Errors "
        "always have the "
        'shape {"error": {"code", "message", "field"}}.'
    ),
    urls_namespace="api-v1",
    parser=OndasParser(),
    throttle=[WindowThrottle()],
)
error_handlers_install(api)
api.add_router("/", catalog.router)
api.add_router("/", search.router)
api.add_router("/me", listener.router)
api.add_router("/me", listening.router)
api.add_router("/studio", studio.router)
