"""A subscriber's private feed and its chapter files, and the account page's
buttons that make or replace its address. Views stay thin.

Unknown, replaced and mistyped tokens, and a token with another show's
address, are all the same 404 (billing's PrivateFeedNotFound).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ondas.accounts.types import AuthedHttpRequest
from ondas.billing.services import feed_key_create, feed_key_regenerate
from ondas.catalog.selectors import show_get
from ondas.core import clock
from ondas.feeds.responses import chapters_response, not_modified, validated
from ondas.feeds.selectors import episode_chapters_validators, episode_get_public
from ondas.feeds.services.private import (
    private_feed_open,
    private_feed_render,
    private_feed_validators,
)

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
    body = private_feed_render(
        feed=feed, base_url=base_url, validators=validators, now=now
    )
    response = HttpResponse(body, content_type="application/rss+xml; charset=utf-8")
    return validated(response, validators, cache_control=CACHE_CONTROL, private=True)


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


def _to_account(show_slug: str) -> HttpResponse:
    return redirect(reverse("accounts:account") + f"#private-feed-{show_slug}")


@login_required
@require_POST
def private_feed_create_view(
    request: AuthedHttpRequest, show_slug: str
) -> HttpResponse:
    show = show_get(slug=show_slug)
    # PrivateFeedNeedsPlan (403) when the plan does not include exclusive shows.
    feed_key_create(user=request.user, show=show, now=clock.now())
    messages.success(
        request,
        _(
            "Your private feed of %(show)s is ready: copy its address into your podcast app."
        )
        % {"show": show.title},
    )
    return _to_account(show.slug)


@login_required
@require_POST
def private_feed_regenerate_view(
    request: AuthedHttpRequest, show_slug: str
) -> HttpResponse:
    show = show_get(slug=show_slug)
    # PrivateFeedNotFound (404) when the person has no feed of this show.
    feed_key_regenerate(user=request.user, show=show, now=clock.now())
    messages.success(
        request,
        _(
            "Your private feed of %(show)s has a new address, below. The old one "
            "no longer works: put the new one in your podcast app."
        )
        % {"show": show.title},
    )
    return _to_account(show.slug)
