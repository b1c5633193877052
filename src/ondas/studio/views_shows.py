"""A show's trailer, its feed and its deletion, from the show's studio page.

The trailer is an editor's choice; stopping following the feed and deleting
the show are the owner's alone.
Both find the show through ``membership_get_for_user``: without the role, a
404 (StudioNotFound), whatever the id.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ondas.accounts.types import AuthedHttpRequest
from ondas.catalog.services.shows_authored import show_loss
from ondas.core import clock
from ondas.studio.errors import StudioNotFound
from ondas.studio.models import Role
from ondas.studio.selectors import membership_get_for_user, show_feed_source
from ondas.studio.services.shows import (
    show_delete_in_studio,
    show_feed_detach,
    show_trailer_choose,
)


class TrailerForm(forms.Form):
    # Empty: no trailer. Any id: the service looks it up inside the show.
    episode = forms.IntegerField(required=False, min_value=1)


@login_required
@require_POST
def show_trailer_view(request: AuthedHttpRequest, show_id: int) -> HttpResponse:
    membership = membership_get_for_user(
        user=request.user, show_id=show_id, at_least=Role.EDITOR
    )
    assert membership.show is not None
    form = TrailerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the show's episodes."))
        return redirect("studio:show-edit", show_id=show_id)
    # StudioNotFound for another show's episode; FieldsManagedByFeed (409).
    chosen = show_trailer_choose(
        show=membership.show,
        episode_id=form.cleaned_data["episode"],
        acting_user=request.user,
    )
    if chosen is None:
        messages.success(request, _("The show has no trailer now."))
    else:
        messages.success(
            request, _("“%(title)s” is the show's trailer.") % {"title": chosen}
        )
    return redirect("studio:show-edit", show_id=show_id)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def show_delete_view(request: AuthedHttpRequest, show_id: int) -> HttpResponse:
    membership = membership_get_for_user(
        user=request.user, show_id=show_id, at_least=Role.OWNER
    )
    show = membership.show
    assert show is not None
    if request.method == "POST":
        show_delete_in_studio(show=show, acting_user=request.user)
        messages.success(request, _("“%(title)s” is deleted.") % {"title": show.title})
        return redirect("studio:dashboard")
    context = {"show": show, "loss": show_loss(show=show, now=clock.now())}
    return render(request, "studio/show_delete.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def show_detach_view(request: AuthedHttpRequest, show_id: int) -> HttpResponse:
    membership = membership_get_for_user(
        user=request.user, show_id=show_id, at_least=Role.OWNER
    )
    show = membership.show
    assert show is not None
    source = show_feed_source(show=show)
    if source is None:
        raise StudioNotFound
    if request.method == "POST":
        # FeedSourceDetached (409) when it stopped following already.
        show_feed_detach(show=show, acting_user=request.user)
        messages.success(
            request,
            _("“%(title)s” no longer follows its feed: every field is yours to edit.")
            % {"title": show.title},
        )
        return redirect("studio:show-edit", show_id=show_id)
    context = {"show": show, "source": source}
    return render(request, "studio/show_detach.html", context)
