"""Who a gpodder.net API request is for: HTTP Basic with the account's e-mail
and password, or with an access token as the password, or the session that
``login.json`` opened. The person must be the one the address names.

Passwords go through ``accounts.services.user_authenticate``, so wrong ones
count as failed sign-ins and are limited like them. A read token may only
read. The site's own sign-in does not count here (a gpodder request carries
no CSRF token), and a gpodder session does not sign anyone in to the site:
a token must not turn into a full site session.
"""

from __future__ import annotations

import base64
import binascii

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
from ondas.accounts.selectors import user_get_for_session_mark
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
    """The person of a session gpodder credentials opened (its token still live)."""
    mark = request.session.get(SESSION_KEY)
    if not isinstance(mark, dict):
        return None
    token_id = mark.get("token")
    if isinstance(token_id, int):
        token = access_token_get_live(token_id=token_id, now=clock.now())
        return token.user, token
    user = user_get_for_session_mark(
        user_id=int(mark.get("user", 0)), auth_hash=str(mark.get("hash", ""))
    )
    if user is None:
        raise GpodderAuthRequired()
    return user, None


def _mark(user: User, token: AccessToken | None) -> dict[str, object]:
    if token is not None:
        return {"user": user.pk, "token": token.pk}
    return {"user": user.pk, "token": None, "hash": user.get_session_auth_hash()}


def gpodder_user(request: HttpRequest, username: str) -> User:
    """The person this request is for; raise GpodderAuthRequired (401) else.

    Credentials also open a session for this API only (its cookie is how
    gpodder.net's clients go on without sending them again, as gpodder.net
    itself does). It does not sign anyone in to the site; it ends with the
    token it was opened with, or when the password changes.
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
    mark = _mark(user, token)
    if opened and request.session.get(SESSION_KEY) != mark:
        request.session.cycle_key()
        request.session[SESSION_KEY] = mark
    return user


def gpodder_sign_out(request: HttpRequest) -> None:
    """End this API's session (the site's own sign-in, if any, is left alone)."""
    request.session.pop(SESSION_KEY, None)
