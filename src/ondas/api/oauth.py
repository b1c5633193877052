"""The OAuth 2.0 device authorization grant's endpoints (RFC 8628), for apps
on TVs and in cars: ``POST /api/oauth/device_authorization`` and ``POST
/api/oauth/token``, plus the server metadata of RFC 8414 at
``/.well-known/oauth-authorization-server``.

They speak OAuth, not the rest of the API: form-encoded bodies in, and errors
as ``{"error": "<RFC code>", "error_description": "…"}`` (RFC 6749 section
5.2), which OAuth client libraries read. The rules are in
``accounts.device_grant``; the person approves on ``/device/``.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from ondas.accounts.device_grant import (
    GRANT_TYPE,
    OAuthError,
    device_authorization_start,
    device_token_exchange,
)
from ondas.api.throttle import WindowThrottle
from ondas.core import clock

_throttle = WindowThrottle()


def _json(body: dict[str, object], status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _error(error: OAuthError) -> JsonResponse:
    body: dict[str, object] = {
        "error": error.error,
        "error_description": error.description,
    }
    return _json(body, status=error.status)


def _refused(request: HttpRequest) -> JsonResponse | None:
    """The rate limit's answer, or None while under it."""
    if _throttle.allow_request(request):
        return None
    response = _error(
        OAuthError("slow_down", _("Too many requests: try again later."), status=429)
    )
    response["Retry-After"] = str(int(_throttle.wait() or 1))
    return response


def _form(request: HttpRequest, name: str) -> str:
    return str(request.POST.get(name, ""))


@csrf_exempt  # apps hold no session; nothing here acts on a cookie
@require_POST
def device_authorization_view(request: HttpRequest) -> JsonResponse:
    """RFC 8628 section 3.1: an app asks for a device code and a user code."""
    if (refused := _refused(request)) is not None:
        return refused
    try:
        made = device_authorization_start(
            client_id=_form(request, "client_id"),
            scope=_form(request, "scope"),
            now=clock.now(),
        )
    except OAuthError as error:
        return _error(error)
    page = request.build_absolute_uri(reverse("device:enter"))
    authorization = made.authorization
    lifetime = authorization.expires_at - authorization.created_at
    return _json(
        {
            "device_code": made.device_code,
            "user_code": made.user_code,
            "verification_uri": page,
            "verification_uri_complete": f"{page}?user_code={made.user_code}",
            "expires_in": int(lifetime.total_seconds()),
            "interval": authorization.interval,
        }
    )


@csrf_exempt
@require_POST
def token_view(request: HttpRequest) -> JsonResponse:
    """RFC 8628 section 3.4: the app polls with its device code."""
    if (refused := _refused(request)) is not None:
        return refused
    if _form(request, "grant_type") != GRANT_TYPE:
        return _error(
            OAuthError(
                "unsupported_grant_type",
                _("Only the device code grant (%(grant)s) is offered here.")
                % {"grant": GRANT_TYPE},
            )
        )
    device_code, client_id = _form(request, "device_code"), _form(request, "client_id")
    if not device_code or not client_id:
        return _error(
            OAuthError("invalid_request", _("Send device_code and client_id."))
        )
    try:
        issued = device_token_exchange(
            device_code=device_code, client_id=client_id, now=clock.now()
        )
    except OAuthError as error:
        return _error(error)
    return _json(
        {
            "access_token": issued.secret,
            "token_type": "Bearer",
            "scope": issued.token.scope,
        }
    )


@require_safe
def metadata_view(request: HttpRequest) -> JsonResponse:
    """RFC 8414: where the endpoints are, for apps that look them up."""
    return JsonResponse(
        {
            "issuer": request.build_absolute_uri("/").rstrip("/"),
            "device_authorization_endpoint": request.build_absolute_uri(
                reverse("oauth-device-authorization")
            ),
            "token_endpoint": request.build_absolute_uri(reverse("oauth-token")),
            "grant_types_supported": [GRANT_TYPE],
            "scopes_supported": ["read", "write"],
            "token_endpoint_auth_methods_supported": ["none"],
        }
    )
