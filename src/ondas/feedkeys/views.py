"""The account page's buttons that make or replace a private feed's address.
Views stay thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ondas.accounts.types import AuthedHttpRequest
from ondas.catalog.selectors import show_get
from ondas.core import clock
from ondas.feedkeys.services import feed_key_create, feed_key_regenerate


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
