"""Who is asking: a personal access token (``Authorization: Bearer``), or the
site's own session with its CSRF token. A read token may only read.

The token rules (hashing, revocation, last use) are accounts' own
(``accounts.access_tokens``); here they are only asked.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from ondas.accounts.access_tokens import access_token_authenticate
from ondas.accounts.errors import AccessTokenInvalid
from ondas.accounts.models import AccessToken, User
from ondas.core import clock
from ondas.core.errors import ErrorCode, OndasError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ScopeInsufficient(OndasError):
    code = ErrorCode.SCOPE_INSUFFICIENT
    http_status = 403

    def __init__(self) -> None:
        super().__init__(_("This token may only read: make one with write scope."))


class CsrfFailed(OndasError):
    code = ErrorCode.CSRF_FAILED
    http_status = 403

    def __init__(self) -> None:
        super().__init__(
            _("Send the CSRF token (X-CSRFToken) with a signed-in request.")
        )


def _bearer_secret(request: HttpRequest) -> str | None:
    header = str(request.headers.get("Authorization", ""))
    scheme, _space, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def token_user(request: HttpRequest) -> User | None:
    """The token's person, once the token is checked (and its scope, for a
    write); None without a bearer token. Raise AccessTokenInvalid or
    ScopeInsufficient."""
    secret = _bearer_secret(request)
    if secret is None:
        return None
    if not secret:
        raise AccessTokenInvalid()
    token = access_token_authenticate(secret=secret, now=clock.now())
    if request.method not in SAFE_METHODS and not token.may_write:
        raise ScopeInsufficient()
    user: User = token.user
    request.access_token = token  # type: ignore[attr-defined]
    request.user = user
    return user


def caller(request: HttpRequest) -> User | AnonymousUser:
    """Whoever asks a public read: a token's person, a session's, or nobody."""
    user = token_user(request)
    if user is not None:
        return user
    return request.user if isinstance(request.user, User) else AnonymousUser()


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ondas_…``: a personal access token."""

    def __call__(self, request: HttpRequest) -> Any:
        return token_user(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return token_user(request)


class SiteSessionAuth(APIKeyCookie):
    """The site's own JavaScript: the session cookie, and CSRF on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if _bearer_secret(request) is not None:
            return None  # the token decided already
        user = request.user
        if not isinstance(user, User):
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return self(request)


def signed_in(request: HttpRequest) -> User:
    """The person an authenticated operation runs for."""
    user = request.user
    assert isinstance(user, User)
    return user


def request_token(request: HttpRequest) -> AccessToken | None:
    token = getattr(request, "access_token", None)
    return token if isinstance(token, AccessToken) else None
