"""The studio's pages. Views stay thin: every one that names a show finds it
through ``membership_get_for_user``, so a show without a role on it is a 404
(StudioNotFound), whatever the person guessed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ondas.accounts.types import AuthedHttpRequest
from ondas.catalog.models import Show
from ondas.catalog.selectors import show_get_plain
from ondas.core import clock
from ondas.core.errors import OndasError
from ondas.studio.book_selectors import show_trailer_options
from ondas.studio.errors import StudioForbidden
from ondas.studio.forms import ClaimFindForm, InvitationForm, RoleForm, ShowForm
from ondas.studio.models import Membership, Role
from ondas.studio.pages import dashboard_create_section, dashboard_table
from ondas.studio.selectors import (
    category_list,
    invitation_get,
    invitation_list_open,
    member_get,
    member_list,
    membership_get_for_user,
    show_claim_open,
    show_feed_source,
    show_follows_feed,
    show_primary_category,
    studio_create_allowed,
)
from ondas.studio.services.claims import show_claim_request
from ondas.studio.services.members import (
    invitation_accept,
    invitation_create,
    invitation_get_by_token,
    invitation_revoke,
    membership_remove,
    membership_role_change,
)
from ondas.studio.services.shows import show_create_in_studio, show_update_in_studio

# The two kinds of object in the studio's addresses (studio.urls).
KIND_SHOWS = "shows"
KIND_BOOKS = "books"


def _show_membership(request: AuthedHttpRequest, show_id: int, role: str) -> Membership:
    # Raises StudioNotFound (404) without that role on the show.
    return membership_get_for_user(user=request.user, show_id=show_id, at_least=role)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def dashboard_view(request: AuthedHttpRequest) -> HttpResponse:
    context = {
        "table": dashboard_table(user=request.user, now=clock.now()),
        "create_section": dashboard_create_section(
            can_create=studio_create_allowed(user=request.user)
        ),
    }
    return render(request, "studio/dashboard.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def show_create_view(request: AuthedHttpRequest) -> HttpResponse:
    if not studio_create_allowed(user=request.user):
        raise StudioForbidden()
    form = ShowForm(
        request.POST or None, request.FILES or None, categories=category_list()
    )
    if form.is_valid():
        show = show_create_in_studio(data=form.show_input(), acting_user=request.user)
        messages.success(request, _("“%(title)s” is ready.") % {"title": show.title})
        return redirect("studio:show-edit", show_id=show.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "creating": True}
    return render(request, "studio/show_form.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def show_edit_view(request: AuthedHttpRequest, show_id: int) -> HttpResponse:
    membership = _show_membership(request, show_id, Role.EDITOR)
    show = membership.show
    assert show is not None
    follows = show_follows_feed(show=show)
    initial = ShowForm.initial_for(show, show_primary_category(show=show))
    form = ShowForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        categories=category_list(),
        follows_feed=follows,
    )
    status = 400 if form.errors else 200
    if form.is_valid():
        try:
            show_update_in_studio(
                show=show, data=form.show_input(), acting_user=request.user
            )
        except OndasError as exc:
            form.add_error(None, exc.message)
            status = exc.http_status
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("studio:show-edit", show_id=show.pk)
    context = {
        "form": form,
        "show": show,
        "membership": membership,
        "follows": follows,
        "feed_source": show_feed_source(show=show),
        "trailer_options": show_trailer_options(show=show),
    }
    return render(request, "studio/show_form.html", context, status=status)


def _membership(
    request: AuthedHttpRequest, kind: str, object_id: int, role: str
) -> Membership:
    # Raises StudioNotFound (404) without that role on the show or book.
    if kind == KIND_BOOKS:
        return membership_get_for_user(
            user=request.user, audiobook_id=object_id, at_least=role
        )
    return membership_get_for_user(user=request.user, show_id=object_id, at_least=role)


def _members_page(
    request: AuthedHttpRequest,
    membership: Membership,
    kind: str,
    *,
    form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    target = membership.target
    context = {
        "target": target,
        "kind": kind,
        "membership": membership,
        "members": member_list(target=target),
        "invitations": invitation_list_open(target=target, now=clock.now()),
        "form": form or InvitationForm(),
        "roles": Role.choices,
    }
    return render(request, "studio/members.html", context, status=status)


def _to_members(kind: str, object_id: int) -> HttpResponse:
    return redirect("studio:members", kind=kind, object_id=object_id)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def members_view(request: AuthedHttpRequest, kind: str, object_id: int) -> HttpResponse:
    membership = _membership(request, kind, object_id, Role.OWNER)
    form = InvitationForm(request.POST or None)
    if not form.is_valid():
        status = 400 if form.errors else 200
        return _members_page(request, membership, kind, form=form, status=status)
    try:
        invitation_create(
            target=membership.target,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            acting_user=request.user,
        )
    except OndasError as exc:
        form.add_error("email", exc.message)
        return _members_page(
            request, membership, kind, form=form, status=exc.http_status
        )
    messages.success(request, _("The invitation is on its way."))
    return _to_members(kind, object_id)


@login_required
@require_POST
def member_role_view(
    request: AuthedHttpRequest, kind: str, object_id: int, membership_id: int
) -> HttpResponse:
    owner = _membership(request, kind, object_id, Role.OWNER)
    member = member_get(target=owner.target, membership_id=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _members_page(request, owner, kind, status=400)
    # LastOwner (409) is rendered as a page that says what to do.
    membership_role_change(
        membership=member, role=form.cleaned_data["role"], acting_user=request.user
    )
    messages.success(request, _("The role is changed."))
    return _to_members(kind, object_id)


@login_required
@require_POST
def member_remove_view(
    request: AuthedHttpRequest, kind: str, object_id: int, membership_id: int
) -> HttpResponse:
    owner = _membership(request, kind, object_id, Role.OWNER)
    member = member_get(target=owner.target, membership_id=membership_id)
    membership_remove(membership=member, acting_user=request.user)  # LastOwner: 409
    messages.success(
        request, _("%(email)s is no longer a member.") % {"email": member.user.email}
    )
    if member.user_id == request.user.pk:
        return redirect("studio:dashboard")
    return _to_members(kind, object_id)


@login_required
@require_POST
def leave_view(request: AuthedHttpRequest, kind: str, object_id: int) -> HttpResponse:
    membership = _membership(request, kind, object_id, Role.ANALYST)
    membership_remove(membership=membership, acting_user=request.user)  # LastOwner
    messages.success(
        request, _("You have left “%(title)s”.") % {"title": membership.target}
    )
    return redirect("studio:dashboard")


@login_required
@require_POST
def invitation_revoke_view(
    request: AuthedHttpRequest, kind: str, object_id: int, invitation_id: int
) -> HttpResponse:
    owner = _membership(request, kind, object_id, Role.OWNER)
    invitation = invitation_get(target=owner.target, invitation_id=invitation_id)
    invitation_revoke(invitation=invitation, acting_user=request.user)
    messages.success(
        request, _("The invitation is withdrawn: its link no longer works.")
    )
    return _to_members(kind, object_id)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept_view(request: AuthedHttpRequest, token: str) -> HttpResponse:
    # InvitationInvalid (404) for a forged or withdrawn link.
    invitation = invitation_get_by_token(token=token)
    if request.method == "POST":
        # Expired, used, or for another address: a page that says which.
        membership = invitation_accept(token=token, acting_user=request.user)
        messages.success(
            request,
            _("Welcome to “%(title)s”.")
            % {"title": invitation.show or invitation.audiobook},
        )
        if membership.show_id is not None:
            return redirect("studio:show-edit", show_id=membership.show_id)
        return redirect("studio:dashboard")
    return render(request, "studio/invitation.html", {"invitation": invitation})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def show_claim_find_view(request: AuthedHttpRequest) -> HttpResponse:
    form = ClaimFindForm(request.GET)
    if form.is_valid():
        return redirect("studio:show-claim", show_slug=form.cleaned_data["show"])
    context = {
        "table": dashboard_table(user=request.user, now=clock.now()),
        "can_create": studio_create_allowed(user=request.user),
        "claim_form": form,
    }
    return render(request, "studio/dashboard.html", context, status=400)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def show_claim_view(request: AuthedHttpRequest, show_slug: str) -> HttpResponse:
    show: Show = show_get_plain(slug=show_slug)  # public: its page exists anyway
    if request.method == "POST":
        # StudioForbidden (403) for listeners; ClaimNotImported (409).
        show_claim_request(show=show, acting_user=request.user)
        return redirect("studio:show-claim", show_slug=show.slug)
    claim = show_claim_open(show=show, user=request.user, now=clock.now())
    context = {"show": show, "claim": claim, "follows": show_follows_feed(show=show)}
    return render(request, "studio/claim.html", context)
