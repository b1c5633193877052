"""Under /api/: errors Django answers itself put in the API's one shape, and
messages in the language the app asks for."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers

from ondas.api.errors import error_response, status_message
from ondas.core.errors import OndasError

logger = logging.getLogger(__name__)
PREFIX = "/api/"


class ApiErrorShapeMiddleware:
    """Under /api/: JSON errors only, and answers that vary by who asks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        # Apps have no language cookie: the API's messages follow
        # Accept-Language (the storefront's language when it names none we have).
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            language = translation.get_language_from_request(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Authorization", "Cookie", "Accept-Language"))
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith(
            "application/json"
        ):
            code, message = status_message(response.status_code)
            shaped = error_response(response.status_code, code, message)
            for header in ("Allow", "Retry-After", "Vary"):
                if header in response:
                    shaped[header] = response[header]
            return shaped
        return response

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not request.path.startswith(PREFIX):
            return None
        if isinstance(exception, OndasError):
            field = exception.data.get("field")
            return error_response(
                exception.http_status,
                str(exception.code),
                exception.message,
                field if isinstance(field, str) else None,
            )
        logger.error(
            "API request %s %s failed",
            request.method,
            request.path,
            exc_info=exception,
        )
        code, message = status_message(500)
        return error_response(500, code, message)
