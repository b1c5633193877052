"""The account page's personal access tokens: make one, revoke one. Views stay thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ondas.accounts.access_tokens import access_token_create, access_token_revoke
from ondas.accounts.types import AuthedHttpRequest
from ondas.core import clock
from ondas.core.errors import InvalidRequest


def _to_tokens() -> HttpResponse:
    return redirect(reverse("accounts:account") + "#access-tokens")


@never_cache
@login_required
@require_POST
def token_create_view(request: AuthedHttpRequest) -> HttpResponse:
    """Make a token and show its secret, once."""
    try:
        made = access_token_create(
            user=request.user,
            name=str(request.POST.get("name", "")),
            scope=str(request.POST.get("scope", "")),
            now=clock.now(),
        )
    except InvalidRequest as error:
        messages.error(request, error.message)
        return _to_tokens()
    context = {"token": made.token, "secret": made.secret}
    return render(request, "accounts/token_created.html", context)


@login_required
@require_POST
def token_revoke_view(request: AuthedHttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the person's tokens: apps using it are refused from now on."""
    token = access_token_revoke(user=request.user, token_id=token_id, now=clock.now())
    messages.success(
        request, _("The token “%(name)s” is revoked.") % {"name": token.name}
    )
    return _to_tokens()
