"""A subscriber's private feed and its chapter files. Views stay thin.

Unknown, replaced and mistyped tokens, and a token with another show's
address, are all the same 404 (feedkeys' PrivateFeedNotFound). The buttons that
make or replace the address are feedkeys' own views.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.http import require_safe

from ondas.core import clock
from ondas.feeds.files import feed_file_response
from ondas.feeds.private import (
    private_feed_file,
    private_feed_open,
    private_feed_validators,
)
from ondas.feeds.responses import chapters_response, not_modified, validated
from ondas.feeds.selectors import episode_chapters_validators, episode_get_public

# One person's copy: apps may keep it, shared caches may not, and every use
# asks again (cheaply: 304), so a replaced address or an ended subscription
# shows at once.
CACHE_CONTROL = "private, no-cache"


@require_safe
def private_feed_view(
    request: HttpRequest, token: str, show_slug: str
) -> HttpResponseBase:
    now = clock.now()
    # Apps often fetch feeds from their own servers: only the app counts here.
    feed = private_feed_open(
        token=token,
        show_slug=show_slug,
        client_ip=None,
        app=request.headers.get("User-Agent", ""),
        now=now,
    )
    base_url = request.build_absolute_uri("/").rstrip("/")
    validators = private_feed_validators(feed=feed, base_url=base_url, now=now)
    cached = not_modified(
        request, validators, cache_control=CACHE_CONTROL, private=True
    )
    if cached is not None:
        return cached
    file = private_feed_file(
        feed=feed, base_url=base_url, validators=validators, now=now
    )
    return validated(
        feed_file_response(request, file),
        validators,
        cache_control=CACHE_CONTROL,
        private=True,
    )


@require_safe
def private_episode_chapters_view(
    request: HttpRequest, token: str, show_slug: str, episode_slug: str
) -> HttpResponseBase:
    now = clock.now()
    feed = private_feed_open(
        token=token,
        show_slug=show_slug,
        client_ip=None,
        app=request.headers.get("User-Agent", ""),
        now=now,
    )
    episode = episode_get_public(
        show_slug=show_slug,
        episode_slug=episode_slug,
        include_exclusive=feed.entitled,
        now=now,
    )
    validators = episode_chapters_validators(episode=episode)
    cached = not_modified(
        request, validators, cache_control=CACHE_CONTROL, private=True
    )
    if cached is not None:
        return cached
    return validated(
        chapters_response(episode),
        validators,
        cache_control=CACHE_CONTROL,
        private=True,
    )
