"""Signing an app in by a code: the OAuth 2.0 device authorization grant (RFC 8628).

1. The app asks (``device_authorization_start``) and gets a long device code
   for itself and a short user code (``BCDF-GHJK``) to show the person.
2. The person, signed in, types the user code on ``/device/``, sees which app
   asks for which scope, and approves or denies (``device_authorization_find``,
   ``device_authorization_decide``). Wrong codes are counted per person and per
   client address (``ratelimit``), so codes cannot be guessed there.
3. The app polls (``device_token_exchange``) no faster than the interval; once
   approved it gets an ordinary ``AccessToken`` named after it, once.

Codes are stored as hashes only, expire after
``ONDAS_DEVICE_CODE_LIFETIME_SECONDS`` and are spent by their first use.
Errors of the app's side are ``OAuthError`` with the RFC's error codes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from ondas.accounts import ratelimit
from ondas.accounts.access_tokens import access_token_create
from ondas.accounts.errors import DeviceCodeInvalid, DeviceCodeRateLimited
from ondas.accounts.models import AccessToken, DeviceAuthorization, User
from ondas.core.errors import InvalidRequest

logger = logging.getLogger(__name__)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
# Consonants only (RFC 8628 section 6.1): no vowels to spell words, nothing
# that looks like a digit. 20^8 codes, about 34 bits.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
SLOW_DOWN_STEP = 5  # seconds added to the interval by each slow_down
_USER_CODE_SALT = "ondas.accounts.device_grant.user_code"

Status = DeviceAuthorization.Status


class OAuthError(Exception):
    """An error answered to the app in RFC 6749 section 5.2's shape."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class NewDeviceAuthorization:
    authorization: DeviceAuthorization
    device_code: str  # given to the app, never stored
    user_code: str  # shown to the person, never stored


def user_code_normalize(code: str) -> str:
    """The code as compared: letters only, upper case (``bcdf ghjk`` works)."""
    return "".join(ch for ch in code.upper() if ch.isalpha())


def user_code_format(code: str) -> str:
    half = USER_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def _user_digest(code: str) -> str:
    return salted_hmac(_USER_CODE_SALT, code, algorithm="sha256").hexdigest()


def _device_digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def scope_parse(raw: str) -> str:
    """The token scope an app's ``scope`` asks for; raise OAuthError(invalid_scope).

    Empty means read; ``write`` (alone or with ``read``) means write.
    """
    words = set(raw.split())
    if not words <= {"read", "write"}:
        raise OAuthError(
            "invalid_scope", _("The scope must be “read”, “write” or both.")
        )
    return AccessToken.Scope.WRITE if "write" in words else AccessToken.Scope.READ


def client_id_clean(raw: str) -> str:
    """The app's name as it gives it; raise OAuthError(invalid_request)."""
    client_id = raw.strip()
    if not client_id or len(client_id) > 64 or not client_id.isprintable():
        raise OAuthError(
            "invalid_request",
            _("Send client_id: the app's name, 1 to 64 printable characters."),
        )
    return client_id


def device_authorization_start(
    *, client_id: str, scope: str, now: datetime
) -> NewDeviceAuthorization:
    """Open a device sign-in for an app; the codes in the answer are not stored."""
    client_id = client_id_clean(client_id)
    token_scope = scope_parse(scope)
    # Requests nobody finished are forgotten once they expire.
    DeviceAuthorization.objects.filter(expires_at__lte=now - timedelta(days=1)).delete()
    device_code = secrets.token_urlsafe(32)
    user_code = "".join(
        secrets.choice(USER_CODE_ALPHABET) for _i in range(USER_CODE_LENGTH)
    )
    authorization = DeviceAuthorization(
        client_id=client_id,
        scope=token_scope,
        device_digest=_device_digest(device_code),
        user_digest=_user_digest(user_code),
        interval=settings.ONDAS_DEVICE_POLL_INTERVAL_SECONDS,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.ONDAS_DEVICE_CODE_LIFETIME_SECONDS),
    )
    authorization.full_clean()
    authorization.save(force_insert=True)
    logger.info("Device sign-in %s opened", authorization.pk)
    return NewDeviceAuthorization(
        authorization=authorization,
        device_code=device_code,
        user_code=user_code_format(user_code),
    )


def _code_limits(*, user: User, client_ip: str) -> list[tuple[str, str, int]]:
    limits: list[tuple[str, str, int]] = [
        (
            ratelimit.Scope.DEVICE_CODE_USER,
            ratelimit.ratelimit_key(f"user:{user.pk}"),
            settings.ONDAS_DEVICE_CODE_MAX_FAILURES_PER_USER,
        )
    ]
    if client_ip:
        limits.append(
            (
                ratelimit.Scope.DEVICE_CODE_IP,
                ratelimit.ip_key(client_ip),
                settings.ONDAS_DEVICE_CODE_MAX_FAILURES_PER_IP,
            )
        )
    return limits


def _window() -> timedelta:
    return timedelta(seconds=settings.ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS)


def device_authorization_find(
    *, user_code: str, user: User, client_ip: str, now: datetime
) -> DeviceAuthorization:
    """The pending, unexpired sign-in this code opens, for ``user`` to decide.

    Raise DeviceCodeRateLimited once too many wrong codes were typed (without
    looking the code up), DeviceCodeInvalid for a wrong, used or expired code
    (each counted as a wrong one).
    """
    limits = _code_limits(user=user, client_ip=client_ip)
    wait = ratelimit.retry_after_any(limits=limits, window=_window(), now=now)
    if wait is not None:
        logger.warning("Device code entry refused: too many wrong codes")
        raise DeviceCodeRateLimited(retry_after=wait)
    code = user_code_normalize(user_code)
    found = None
    if len(code) == USER_CODE_LENGTH:
        found = DeviceAuthorization.objects.filter(
            user_digest=_user_digest(code), status=Status.PENDING, expires_at__gt=now
        ).first()
    if found is None:
        with transaction.atomic():
            for scope, key, _limit in limits:
                ratelimit.record(scope=scope, key=key, window=_window(), now=now)
        raise DeviceCodeInvalid()
    return found


def device_authorization_decide(
    *, user_code: str, user: User, approve: bool, client_ip: str, now: datetime
) -> DeviceAuthorization:
    """Approve or deny the sign-in of this code, once; raise as ``_find`` does."""
    # Outside the transaction below: a wrong code stays counted.
    found = device_authorization_find(
        user_code=user_code, user=user, client_ip=client_ip, now=now
    )
    return _decide(pk=found.pk, user=user, approve=approve, now=now)


@transaction.atomic(durable=True)
def _decide(
    *, pk: int, user: User, approve: bool, now: datetime
) -> DeviceAuthorization:
    authorization = DeviceAuthorization.objects.select_for_update().get(pk=pk)
    if authorization.status != Status.PENDING:  # decided meanwhile
        raise DeviceCodeInvalid()
    authorization.status = Status.APPROVED if approve else Status.DENIED
    authorization.user = user
    authorization.decided_at = now
    authorization.save(update_fields=["status", "user", "decided_at"])
    logger.info(
        "Device sign-in %s %s by account %s",
        authorization.pk,
        authorization.status,
        user.pk,
    )
    return authorization


@dataclass(frozen=True)
class IssuedToken:
    token: AccessToken
    secret: str


def _poll_note(authorization: DeviceAuthorization, now: datetime) -> OAuthError:
    """Note this poll of a pending sign-in; slow_down if it came too soon."""
    last = authorization.last_polled_at
    authorization.last_polled_at = now
    fields = ["last_polled_at"]
    too_soon = last is not None and now - last < timedelta(
        seconds=authorization.interval
    )
    if too_soon:
        authorization.interval += SLOW_DOWN_STEP
        fields.append("interval")
    authorization.save(update_fields=fields)
    if too_soon:
        return OAuthError(
            "slow_down",
            _("Polled too soon: wait %(seconds)s seconds between requests.")
            % {"seconds": authorization.interval},
        )
    return OAuthError(
        "authorization_pending", _("Waiting for the person to enter the code.")
    )


def _refusal(
    authorization: DeviceAuthorization | None, client_id: str, now: datetime
) -> OAuthError | None:
    if authorization is None or authorization.client_id != client_id.strip():
        return OAuthError(
            "invalid_grant", _("This device code is unknown to this app.")
        )
    if authorization.status == Status.SPENT:
        return OAuthError("invalid_grant", _("This device code has been used already."))
    if authorization.expires_at <= now:
        return OAuthError(
            "expired_token", _("This device code has expired: start again.")
        )
    if authorization.status == Status.DENIED:
        return OAuthError("access_denied", _("The person denied this sign-in."))
    user = authorization.user
    if authorization.status == Status.APPROVED and (
        user is None or not user.is_active or user.is_deleted
    ):
        return OAuthError("access_denied", _("The person denied this sign-in."))
    return None


def device_token_exchange(
    *, device_code: str, client_id: str, now: datetime
) -> IssuedToken:
    """The access token of an approved sign-in, once; raise OAuthError otherwise.

    authorization_pending while the person has not decided, slow_down when
    polled faster than the interval (which then grows by 5 seconds),
    access_denied once denied, expired_token after the code's lifetime, and
    invalid_grant for an unknown code, one already spent, or another app's.
    """
    issued: IssuedToken | None = None
    with transaction.atomic(durable=True):
        # No join: PostgreSQL locks no row on the nullable side of one.
        authorization = (
            DeviceAuthorization.objects.select_for_update()
            .filter(device_digest=_device_digest(device_code))
            .first()
        )
        refusal = _refusal(authorization, client_id, now)
        if refusal is None and authorization is not None:
            if authorization.status == Status.PENDING:
                # Kept, not rolled back: the next poll is measured from it.
                refusal = _poll_note(authorization, now)
            else:
                issued = _issue(authorization, now)
    if refusal is not None:
        raise refusal
    assert issued is not None and authorization is not None
    logger.info("Device sign-in %s gave token %s", authorization.pk, issued.token.pk)
    return issued


def _issue(authorization: DeviceAuthorization, now: datetime) -> IssuedToken:
    user = authorization.user
    assert user is not None
    try:
        made = access_token_create(
            user=user, name=authorization.client_id, scope=authorization.scope, now=now
        )
    except InvalidRequest as error:  # too many live tokens
        raise OAuthError("access_denied", error.message) from None
    authorization.status = Status.SPENT
    authorization.token = made.token
    authorization.save(update_fields=["status", "token"])
    return IssuedToken(token=made.token, secret=made.secret)
