"""The installable web app: manifest, service worker and offline page."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from ondas.web import pwa


@require_safe
def manifest_view(request: HttpRequest, language: str) -> HttpResponse:
    # One address per language: browsers fetch a manifest without cookies.
    if language not in dict(settings.LANGUAGES):
        raise Http404
    response = HttpResponse(
        json.dumps(pwa.manifest(language=language), ensure_ascii=False),
        content_type="application/manifest+json",
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def service_worker_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        pwa.service_worker(), content_type="text/javascript; charset=utf-8"
    )
    # Checked on every visit: a new version must reach the browser at once.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def offline_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(pwa.offline_page())
    response["Cache-Control"] = "no-cache"
    return response
