"""The public feed of a show and the chapters file of an episode. Views stay thin."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.http import require_safe

from ondas.catalog.selectors import show_get_plain, show_version_get
from ondas.feeds.files import feed_file_response
from ondas.feeds.render import show_feed_file
from ondas.feeds.responses import chapters_response, not_modified, validated
from ondas.feeds.selectors import (
    episode_chapters_validators,
    episode_get_public,
    show_feed_validators,
)

# Apps and caches may keep a copy, but must ask (cheaply: 304) before using it.
CACHE_CONTROL = "public, no-cache"


@require_safe
def show_feed_view(request: HttpRequest, show_slug: str) -> HttpResponseBase:
    version = show_version_get(slug=show_slug)
    base_url = request.build_absolute_uri("/").rstrip("/")
    validators = show_feed_validators(show=version, base_url=base_url)
    cached = not_modified(request, validators, cache_control=CACHE_CONTROL)
    if cached is not None:
        return cached
    feed = show_feed_file(
        show_id=version.pk,
        load_show=lambda: show_get_plain(slug=show_slug, pk=version.pk),
        base_url=base_url,
        validators=validators,
    )
    return validated(
        feed_file_response(request, feed), validators, cache_control=CACHE_CONTROL
    )


@require_safe
def episode_chapters_view(
    request: HttpRequest, show_slug: str, episode_slug: str
) -> HttpResponseBase:
    episode = episode_get_public(show_slug=show_slug, episode_slug=episode_slug)
    validators = episode_chapters_validators(episode=episode)
    cached = not_modified(request, validators, cache_control=CACHE_CONTROL)
    if cached is not None:
        return cached
    return validated(
        chapters_response(episode), validators, cache_control=CACHE_CONTROL
    )
