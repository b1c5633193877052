"""Language choice and the rendering of Ondas errors as pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers

from ondas.core.errors import OndasError


class DefaultLanguageMiddleware:
    """Use the language the visitor picked, else the storefront's (Spanish).

    Unlike Django's LocaleMiddleware this ignores Accept-Language: the
    storefront is Spanish first, and English is a visible switch away.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # Only pages depend on the language; audio and feeds must stay one
        # cacheable object for everyone.
        if response.headers.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Language", language)
            patch_vary_headers(response, ["Cookie"])
        return response


class OndasErrorMiddleware:
    """Render an OndasError raised by a view as a page in the visitor's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not isinstance(exception, OndasError):
            return None
        return render(
            request,
            "ondas/error.html",
            {"error": exception, "status": exception.http_status},
            status=exception.http_status,
        )
