"""/device/: a signed-in person types the code an app shows, sees which app
asks for which scope, and approves or denies (RFC 8628 section 3.3). Views
stay thin: the rules are in ``accounts.device_grant``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ondas.accounts.device_grant import (
    device_authorization_decide,
    device_authorization_find,
)
from ondas.accounts.errors import AccountFieldError
from ondas.accounts.ratelimit import client_ip
from ondas.accounts.types import AuthedHttpRequest
from ondas.core import clock


def _refused(
    request: AuthedHttpRequest, code: str, error: AccountFieldError
) -> HttpResponse:
    context = {"user_code": code, "error": error.message}
    response = render(
        request, "accounts/device_enter.html", context, status=error.http_status
    )
    if retry_after := error.data.get("retry_after"):
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def device_enter_view(request: AuthedHttpRequest) -> HttpResponse:
    """The code's form; with a code (typed, or in the app's link), the question."""
    code = str(request.POST.get("user_code") or request.GET.get("user_code") or "")
    if not code.strip():
        return render(request, "accounts/device_enter.html", {"user_code": ""})
    try:
        found = device_authorization_find(
            user_code=code,
            user=request.user,
            client_ip=client_ip(request),
            now=clock.now(),
        )
    except AccountFieldError as error:
        return _refused(request, code, error)
    context = {"authorization": found, "user_code": code}
    return render(request, "accounts/device_confirm.html", context)


@never_cache
@login_required
@require_POST
def device_decide_view(request: AuthedHttpRequest) -> HttpResponse:
    """Approve or deny: the app's next poll gets a token, or is refused."""
    code = str(request.POST.get("user_code", ""))
    try:
        decided = device_authorization_decide(
            user_code=code,
            user=request.user,
            approve=request.POST.get("decision") == "approve",
            client_ip=client_ip(request),
            now=clock.now(),
        )
    except AccountFieldError as error:
        return _refused(request, code, error)
    return render(request, "accounts/device_done.html", {"authorization": decided})
