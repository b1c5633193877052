"""Operations that change accounts: sign-up, sign-in checks, verification, roles, deletion.

Each takes an optional ``now`` (aware UTC) so tests can move the clock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.timezone import now as timezone_now

from ondas.accounts import ratelimit
from ondas.accounts.emails import account_deleted_email_send, verification_email_task
from ondas.accounts.errors import (
    AccountDeleted,
    AccountDeletionRefused,
    EmailAlreadyRegistered,
    EmailInvalid,
    InvalidCredentials,
    LastStaffMember,
    PasswordIncorrect,
    PasswordTooWeak,
    RoleChangeForbidden,
    SignInRateLimited,
    VerificationEmailRateLimited,
    VerificationLinkExpired,
)
from ondas.accounts.models import AccessToken, User
from ondas.accounts.privacy import deletion_refusals
from ondas.accounts.selectors import user_get_by_verification_token
from ondas.accounts.signals import user_deleting

logger = logging.getLogger(__name__)
# Security-relevant changes, for operators to keep: ids only, never addresses.
audit_logger = logging.getLogger("ondas.audit")

Scope = ratelimit.Scope

# ``username`` mirrors the email and is 150 characters wide.
EMAIL_MAX_LENGTH = 150
_VERIFICATION_WINDOW = timedelta(hours=1)


def email_normalize(email: str) -> str:
    """Return the form an address is stored and compared in: trimmed, lowercase."""
    return email.strip().lower()


def _sign_in_limits(*, email: str, client_ip: str) -> list[tuple[str, str, int]]:
    limits: list[tuple[str, str, int]] = [
        (
            Scope.SIGN_IN_EMAIL,
            ratelimit.email_key(email),
            settings.ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL,
        )
    ]
    if client_ip:  # unknown addresses would otherwise share one counter
        limits.append(
            (
                Scope.SIGN_IN_IP,
                ratelimit.ip_key(client_ip),
                settings.ONDAS_SIGNIN_MAX_FAILURES_PER_IP,
            )
        )
    return limits


def _sign_in_window() -> timedelta:
    return timedelta(seconds=settings.ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS)


def _refuse_if_throttled(*, email: str, client_ip: str, now: datetime) -> None:
    window = _sign_in_window()
    waits = [
        wait
        for scope, key, limit in _sign_in_limits(email=email, client_ip=client_ip)
        if (
            wait := ratelimit.retry_after(
                scope=scope, key=key, limit=limit, window=window, now=now
            )
        )
        is not None
    ]
    if waits:
        # A short prefix of the keyed hash lets operators correlate without
        # learning the address.
        logger.warning(
            "Sign-in refused: too many failures (email key %s)",
            ratelimit.email_key(email)[:12],
        )
        raise SignInRateLimited(retry_after=max(waits))


@transaction.atomic
def _sign_in_failure_record(*, email: str, client_ip: str, now: datetime) -> None:
    window = _sign_in_window()
    for scope, key, _limit in _sign_in_limits(email=email, client_ip=client_ip):
        ratelimit.record(scope=scope, key=key, window=window, now=now)


def email_clean(email: str) -> str:
    """Return the address as stored (``email_normalize``); raise EmailInvalid."""
    email = email_normalize(email)
    try:
        validate_email(email)
    except ValidationError:
        raise EmailInvalid() from None
    if len(email) > EMAIL_MAX_LENGTH:
        raise EmailInvalid()
    return email


def password_check(*, password: str, user: User) -> None:
    """Raise PasswordTooWeak unless the validators accept ``password`` for ``user``."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise PasswordTooWeak(reasons=exc.messages) from None


def user_create(*, email: str, password: str, now: datetime | None = None) -> User:
    """Open a listener account that works at once; email a link that confirms
    the address (it is marked unverified until the link is used).

    For operators and fixtures, who know the address is free: the sign-up page
    uses ``signup.user_sign_up``, which does not say whether it was.
    """
    now = now or timezone_now()
    email = email_clean(email)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailAlreadyRegistered()
    user = User(email=email, username=email, date_joined=now)
    password_check(password=password, user=user)
    user.set_password(password)
    # The username validator allows fewer characters than an email address may
    # hold; ``username`` only mirrors the (validated) email.
    user.full_clean(exclude=["username", "password"])
    try:
        _user_insert(user=user, now=now)
    except IntegrityError:  # the same address, signed up a moment ago
        raise EmailAlreadyRegistered() from None
    logger.info("Account %s created", user.pk)
    return user


@transaction.atomic(durable=True)
def _user_insert(*, user: User, now: datetime) -> None:
    user.save(force_insert=True)
    _verification_email_schedule(user=user, now=now)


def _verification_email_schedule(*, user: User, now: datetime) -> None:
    ratelimit.record(
        scope=Scope.VERIFICATION_EMAIL,
        key=ratelimit.ratelimit_key(f"user:{user.pk}"),
        window=_VERIFICATION_WINDOW,
        now=now,
    )
    user_id, issued_at = user.pk, int(now.timestamp())
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        lambda: verification_email_task.enqueue(
            user_id=user_id, issued_at=issued_at, language=language
        )
    )


def user_authenticate(
    *, email: str, password: str, client_ip: str, now: datetime | None = None
) -> User:
    """Return the account these credentials open, counting failures.

    Once the email, or the client address, has failed too often within the
    window, refuse with ``SignInRateLimited`` without checking the password. A
    success forgets the email's failures (not the address's).
    """
    now = now or timezone_now()
    email = email_normalize(email)
    _refuse_if_throttled(email=email, client_ip=client_ip, now=now)
    user = authenticate(None, username=email, password=password)
    if not isinstance(user, User):
        _sign_in_failure_record(email=email, client_ip=client_ip, now=now)
        logger.info("Sign-in failed (email key %s)", ratelimit.email_key(email)[:12])
        raise InvalidCredentials()
    ratelimit.clear(scope=Scope.SIGN_IN_EMAIL, key=ratelimit.email_key(email))
    return user


@transaction.atomic(durable=True)
def user_password_reset_complete(*, user: User, now: datetime | None = None) -> User:
    """Follow up a password reset by email: the address is proven, failures forgiven.

    A pending sign-up is finished by it: the account may sign in from now on.
    """
    now = now or timezone_now()
    user = User.objects.select_for_update().get(pk=user.pk)
    ratelimit.clear(scope=Scope.SIGN_IN_EMAIL, key=ratelimit.email_key(user.email))
    changed = []
    if user.is_pending:
        user.is_active = True
        changed.append("is_active")
    if user.email_verified_at is None:
        user.email_verified_at = now
        changed.append("email_verified_at")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    logger.info("Password of account %s reset by email", user.pk)
    return user


@transaction.atomic(durable=True)
def user_verify_email(*, token: str, now: datetime | None = None) -> User:
    """Mark the address the link was sent to as confirmed.

    A link for an address that is already confirmed succeeds again; a forged
    one, or one for an address since changed, raises ``VerificationLinkInvalid``;
    an authentic one older than ``ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS``
    raises ``VerificationLinkExpired``.
    """
    now = now or timezone_now()
    user, claim = user_get_by_verification_token(token=token)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email_verified_at is not None:
        return user
    age = now.timestamp() - claim.issued_at
    if age > settings.ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS:
        raise VerificationLinkExpired(user_id=user.pk)
    # A pending sign-up's link normally goes to signup.user_sign_up_confirm;
    # whichever page it reaches, it proves the address and finishes the account.
    user.is_active = user.is_active or user.is_pending
    user.email_verified_at = now
    user.save(update_fields=["is_active", "email_verified_at", "updated_at"])
    logger.info("Email of account %s verified", user.pk)
    return user


@transaction.atomic(durable=True)
def user_send_verification_email(*, user: User, now: datetime | None = None) -> User:
    """Email a fresh confirmation link, a few times an hour at most.

    Does nothing for an address that is already confirmed.
    """
    now = now or timezone_now()
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_deleted:
        raise AccountDeleted()
    if user.email_verified_at is not None:
        return user
    wait = ratelimit.retry_after(
        scope=Scope.VERIFICATION_EMAIL,
        key=ratelimit.ratelimit_key(f"user:{user.pk}"),
        limit=settings.ONDAS_VERIFICATION_EMAILS_PER_HOUR,
        window=_VERIFICATION_WINDOW,
        now=now,
    )
    if wait is not None:
        raise VerificationEmailRateLimited(retry_after=wait)
    _verification_email_schedule(user=user, now=now)
    return user


def user_send_verification_email_for_token(
    *, token: str, now: datetime | None = None
) -> User:
    """Email a fresh link to whoever an authentic (perhaps expired) link was for."""
    user, _claim = user_get_by_verification_token(token=token)
    return user_send_verification_email(user=user, now=now)


@transaction.atomic(durable=True)
def user_set_role(
    *, user: User, role: User.Role, acting_user: User, now: datetime | None = None
) -> User:
    """Make someone a listener, a creator or staff (staff may use the admin).

    Only active staff may do it, and the last active staff account keeps its role.
    """
    if not (acting_user.is_staff and acting_user.is_active):
        raise RoleChangeForbidden()
    role = User.Role(role)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_deleted:
        raise AccountDeleted()
    if user.role == role and user.is_staff == (role == User.Role.STAFF):
        return user
    if user.is_staff and role != User.Role.STAFF:
        _refuse_if_last_staff(user=user)
    previous = user.role
    user.role = role
    user.is_staff = role == User.Role.STAFF
    user.full_clean(exclude=["username", "password"])
    user.save(update_fields=["role", "is_staff", "updated_at"])
    audit_logger.info(
        "Role of account %s changed from %s to %s by account %s",
        user.pk,
        previous,
        role,
        acting_user.pk,
    )
    return user


def _refuse_if_last_staff(*, user: User) -> None:
    others = User.objects.filter(is_staff=True, is_active=True).exclude(pk=user.pk)
    if not others.exists():
        raise LastStaffMember()


def user_delete(
    *, user: User, password: str, client_ip: str = "", now: datetime | None = None
) -> User:
    """Delete one's own account, once confirmed with the current password.

    Refused while another context has a reason (``privacy.deletion_refusals``:
    the last owner of a show). Sends ``signals.user_deleting`` first (billing cancels the subscription),
    then removes personal data in one transaction. The row stays, anonymised
    and inactive, because the ledger points at it. Every session ends, since
    the password no longer matches the hash stored in them. Wrong passwords
    count as failed sign-ins, so this form cannot be used to guess one.
    """
    now = now or timezone_now()
    user = User.objects.get(pk=user.pk)  # the caller's copy may be stale
    if user.is_deleted:
        raise AccountDeleted()
    _refuse_if_throttled(email=user.email, client_ip=client_ip, now=now)
    if not user.check_password(password):
        _sign_in_failure_record(email=user.email, client_ip=client_ip, now=now)
        raise PasswordIncorrect()
    if user.is_staff:
        _refuse_if_last_staff(user=user)
    refusals = deletion_refusals(user=user)
    if refusals:  # before any receiver runs, so nothing has changed yet
        raise AccountDeletionRefused(reasons=refusals)
    # Outside any transaction, so receivers may run their own durable ones; a
    # receiver that raises leaves the account as it was.
    user_deleting.send(sender=User, user=user, now=now)
    return _user_anonymise(user=user, now=now)


@transaction.atomic(durable=True)
def _user_anonymise(*, user: User, now: datetime) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_deleted:  # deleted meanwhile, in another request
        raise AccountDeleted()
    former_email = user.email
    placeholder = f"deleted-{user.pk}@deleted.invalid"
    user.email = user.username = placeholder
    user.first_name = user.last_name = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.email_verified_at = None
    user.last_login = None
    user.deleted_at = now
    user.full_clean(exclude=["username", "password"])
    user.save(
        update_fields=[
            "email",
            "username",
            "first_name",
            "last_name",
            "password",
            "is_active",
            "is_staff",
            "is_superuser",
            "email_verified_at",
            "last_login",
            "deleted_at",
            "updated_at",
        ]
    )
    user.groups.clear()
    user.user_permissions.clear()
    # Apps signed in with a token lose it with the person (the token's name
    # is theirs too).
    AccessToken.objects.filter(user=user).delete()
    ratelimit.clear(scope=Scope.SIGN_IN_EMAIL, key=ratelimit.email_key(former_email))
    ratelimit.clear(
        scope=Scope.VERIFICATION_EMAIL, key=ratelimit.ratelimit_key(f"user:{user.pk}")
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        lambda: account_deleted_email_send(email=former_email, language=language)
    )
    audit_logger.info("Account %s deleted by its owner", user.pk)
    return user
