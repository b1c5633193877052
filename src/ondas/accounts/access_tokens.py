"""Personal access tokens: make, find, revoke. Apps sign in with them.

A token is ``ondas_`` and 32 random bytes in URL-safe base64. The database
keeps its SHA-256 only (a fast hash is enough: the secret is random, not a
password), so a leaked table gives no working token. The secret is returned
once, by ``access_token_create``, and never again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ondas.accounts.errors import AccessTokenInvalid
from ondas.accounts.models import AccessToken, User
from ondas.core.errors import InvalidRequest, NotFoundError

TOKEN_PREFIX = "ondas_"  # noqa: S105 - the visible start of every token
MAX_LIVE_TOKENS = 50
# last_used_at is written at most this often per token: not on every request.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewAccessToken:
    token: AccessToken
    secret: str  # shown once


def access_token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def access_token_create(
    *, user: User, name: str, scope: str, now: datetime
) -> NewAccessToken:
    """Make a token for ``user``; the secret in the answer is never stored."""
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidRequest(
            reason=_("Give the token a name of 1 to 64 characters."), field="name"
        )
    if scope not in AccessToken.Scope.values:
        raise InvalidRequest(reason=_("Choose read or write."), field="scope")
    if access_token_list_live(user=user).count() >= MAX_LIVE_TOKENS:
        raise InvalidRequest(
            reason=_("You have %(max)s tokens already: revoke one first.")
            % {"max": MAX_LIVE_TOKENS}
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken(
        user=user,
        name=name,
        scope=scope,
        digest=access_token_digest(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 4],
        created_at=now,
    )
    token.full_clean()
    token.save()
    return NewAccessToken(token=token, secret=secret)


def access_token_list_live(*, user: User) -> QuerySet[AccessToken]:
    """The person's tokens that still work, newest first."""
    return AccessToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        "-created_at", "-pk"
    )


def access_token_authenticate(*, secret: str, now: datetime) -> AccessToken:
    """The live token with this secret, its last use noted; raise AccessTokenInvalid.

    Unknown, revoked and deactivated accounts' tokens are all refused alike.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise AccessTokenInvalid()
    token = (
        AccessToken.objects.select_related("user")
        .filter(digest=access_token_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active or token.user.is_deleted:
        raise AccessTokenInvalid()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def access_token_revoke(*, user: User, token_id: int, now: datetime) -> AccessToken:
    """Revoke one of the person's tokens; raise NotFoundError for any other."""
    token = access_token_list_live(user=user).filter(pk=token_id).first()
    if token is None:
        raise NotFoundError(_("There is no such token."), token_id=token_id)
    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    return token


def access_token_get_live(*, token_id: int, now: datetime) -> AccessToken:
    """The live token with this id, its last use noted; raise AccessTokenInvalid.

    For a session that an app opened with a token: it lasts only as long as
    the token does.
    """
    token = (
        AccessToken.objects.select_related("user")
        .filter(pk=token_id, revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active or token.user.is_deleted:
        raise AccessTokenInvalid()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
