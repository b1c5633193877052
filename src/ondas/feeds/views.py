"""The public feed of a show and the chapters file of an episode. Views stay thin."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from ondas.catalog.selectors import show_get
from ondas.feeds.selectors import (
    FeedValidators,
    episode_chapters_validators,
    episode_get_public,
    show_feed_validators,
)
from ondas.feeds.services.chapters import chapters_to_json
from ondas.feeds.services.publish import CHAPTERS_TYPE, show_feed_render

# Apps and caches may keep a copy, but must ask (cheaply: 304) before using it.
CACHE_CONTROL = "public, no-cache"


def _validated(
    response: HttpResponseBase, validators: FeedValidators
) -> HttpResponseBase:
    response.headers["ETag"] = validators.etag
    response.headers["Last-Modified"] = http_date(validators.last_modified.timestamp())
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _not_modified(
    request: HttpRequest, validators: FeedValidators
) -> HttpResponseBase | None:
    response = get_conditional_response(
        request,
        etag=validators.etag,
        last_modified=int(validators.last_modified.timestamp()),
    )
    return _validated(response, validators) if response is not None else None


@require_safe
def show_feed_view(request: HttpRequest, show_slug: str) -> HttpResponseBase:
    show = show_get(slug=show_slug)
    base_url = request.build_absolute_uri("/").rstrip("/")
    validators = show_feed_validators(show=show, base_url=base_url)
    if (cached := _not_modified(request, validators)) is not None:
        return cached
    body = show_feed_render(show=show, base_url=base_url, validators=validators)
    response = HttpResponse(body, content_type="application/rss+xml; charset=utf-8")
    return _validated(response, validators)


@require_safe
def episode_chapters_view(
    request: HttpRequest, show_slug: str, episode_slug: str
) -> HttpResponseBase:
    episode = episode_get_public(show_slug=show_slug, episode_slug=episode_slug)
    validators = episode_chapters_validators(episode=episode)
    if (cached := _not_modified(request, validators)) is not None:
        return cached
    document = chapters_to_json(episode.chapters.all())
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False), content_type=CHAPTERS_TYPE
    )
    return _validated(response, validators)
