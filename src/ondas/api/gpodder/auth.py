"""Who a gpodder.net API request is for: HTTP Basic with the account's e-mail
and password, or with an access token as the password, or the session that
``login.json`` opened. The person must be the one the address names.

Passwords go through ``accounts.services.user_authenticate``, so wrong ones
count as failed sign-ins and are limited like them. A read token may only
read. Sessions opened elsewhere (the site's sign-in) do not count here: a
gpodder request carries no CSRF token, so only a session that gpodder
credentials opened (and marked) may stand in for them.
"""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import login
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ondas.accounts.access_tokens import (
    TOKEN_PREFIX,
    access_token_authenticate,
    access_token_get_live,
)
from ondas.accounts.errors import InvalidCredentials
from ondas.accounts.models import AccessToken, User
from ondas.accounts.ratelimit import client_ip
from ondas.accounts.services import user_authenticate
from ondas.api.auth import SAFE_METHODS, ScopeInsufficient
from ondas.core import clock
from ondas.core.errors import ErrorCode, OndasError

SESSION_KEY = "ondas_gpodder"
REALM = 'Basic realm="Ondas", charset="UTF-8"'


class GpodderAuthRequired(OndasError):
    code = ErrorCode.SIGN_IN_REQUIRED
    http_status = 401

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or _("Sign in with your e-mail and password, or an access token.")
        )


def _basic(request: HttpRequest) -> tuple[str, str] | None:
    header = str(request.headers.get("Authorization", ""))
    scheme, _space, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise GpodderAuthRequired() from None
    name, colon, password = decoded.partition(":")
    if not colon:
        raise GpodderAuthRequired()
    return name, password


def _names(user: User, username: str) -> bool:
    wanted = username.strip().lower()
    return wanted in {user.email.lower(), user.username.lower()}


def _credentials(request: HttpRequest) -> tuple[User, AccessToken | None] | None:
    """The person (and token) the Basic credentials open, or None without any."""
    basic = _basic(request)
    if basic is None:
        return None
    name, password = basic
    if password.startswith(TOKEN_PREFIX):
        token = access_token_authenticate(secret=password, now=clock.now())
        return token.user, token
    try:
        user = user_authenticate(
            email=name,
            password=password,
            client_ip=client_ip(request),
            now=clock.now(),
        )
    except InvalidCredentials as error:
        raise GpodderAuthRequired(error.message) from None
    return user, None


def _session(request: HttpRequest) -> tuple[User, AccessToken | None] | None:
    """The person of a session a gpodder sign-in opened (its token still live)."""
    mark = request.session.get(SESSION_KEY)
    user = request.user
    if not isinstance(mark, dict) or not isinstance(user, User):
        return None
    token_id = mark.get("token")
    if token_id is None:
        return user, None
    return user, access_token_get_live(token_id=int(token_id), now=clock.now())


def gpodder_user(request: HttpRequest, username: str) -> User:
    """The person this request is for; raise GpodderAuthRequired (401) else.

    Credentials that open an account also open a session (its cookie is how
    gpodder.net's clients go on without sending them again, as gpodder.net
    itself does); a session opened with a token ends with the token.
    """
    found = _credentials(request)
    opened = found is not None
    if found is None:
        found = _session(request)
    if found is None:
        raise GpodderAuthRequired()
    user, token = found
    if not _names(user, username):
        raise GpodderAuthRequired(
            _("These credentials are not for the account in the address.")
        )
    if token is not None and request.method not in SAFE_METHODS and not token.may_write:
        raise ScopeInsufficient()
    mark = {"token": token.pk if token is not None else None}
    if opened and (request.user != user or request.session.get(SESSION_KEY) != mark):
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = mark
    return user
