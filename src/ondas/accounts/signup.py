"""Sign-up that does not tell anyone whether an address already has an account.

``user_sign_up`` gives the same answer, after the same work, for a free and a
taken address: it checks the form's rules, counts the attempt per address and
per client, hashes the password, tries to insert a pending account (the
database's unique index refuses a taken address), and queues one email. Only
that email differs, and only the owner of the mailbox reads it:

- a free address gets the link that finishes the account
  (``user_sign_up_confirm``): it signs the person in and carries on where
  they were (the plan they were buying, the show they were on);
- an address with an account gets a note that someone tried to sign up with
  it, with a link to sign in and one to choose a new password;
- an address whose sign-up was never finished gets a link to choose a
  password, which finishes the account: whoever typed the first password is
  not trusted with it, since anybody can type an address.

Until its link is opened a new account is inactive and cannot sign in, so
signing up and then signing in cannot tell a free address from a taken one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import now as timezone_now
from django_tasks import task

from ondas.accounts import ratelimit
from ondas.accounts.emails import (
    account_email_send,
    link_with_next,
    verification_email_send,
)
from ondas.accounts.errors import (
    SignUpAlreadyConfirmed,
    SignUpRateLimited,
    VerificationLinkExpired,
)
from ondas.accounts.models import User
from ondas.accounts.reset import password_reset_url
from ondas.accounts.selectors import user_get_by_verification_token
from ondas.accounts.services import email_clean, password_check

logger = logging.getLogger(__name__)

Scope = ratelimit.Scope

SIGN_UP_WINDOW = timedelta(hours=1)
SIGN_UPS_PER_ADDRESS = 3
SIGN_UPS_PER_CLIENT = 10


def _limits(*, email: str, client_ip: str) -> tuple[tuple[str, str, int], ...]:
    return (
        (Scope.SIGN_UP_EMAIL, ratelimit.email_key(email), SIGN_UPS_PER_ADDRESS),
        (Scope.SIGN_UP_IP, ratelimit.ip_key(client_ip), SIGN_UPS_PER_CLIENT),
    )


def user_sign_up(
    *,
    email: str,
    password: str,
    client_ip: str,
    next_url: str = "",
    now: datetime | None = None,
) -> None:
    """Start an account for ``email``, or tell its owner that someone tried.

    Returns nothing either way, so callers cannot tell the two apart. Raises
    EmailInvalid and PasswordTooWeak for what was typed, and SignUpRateLimited
    when the address or the client tried too often: none of them depends on
    whether the address has an account.
    """
    now = now or timezone_now()
    email = email_clean(email)
    candidate = User(email=email, username=email, date_joined=now, is_active=False)
    password_check(password=password, user=candidate)
    limits = _limits(email=email, client_ip=client_ip)
    wait = ratelimit.retry_after_any(limits=limits, window=SIGN_UP_WINDOW, now=now)
    if wait is not None:
        logger.warning("Sign-up refused: too many attempts")
        raise SignUpRateLimited(retry_after=wait)
    # Hashed for a taken address too: the slow step takes its time in both.
    candidate.set_password(password)
    candidate.full_clean(exclude=["username", "password"], validate_unique=False)
    _sign_up_record(candidate=candidate, limits=limits, next_url=next_url, now=now)


@transaction.atomic(durable=True)
def _sign_up_record(
    *,
    candidate: User,
    limits: tuple[tuple[str, str, int], ...],
    next_url: str,
    now: datetime,
) -> None:
    for scope, key, _limit in limits:
        ratelimit.record(scope=scope, key=key, window=SIGN_UP_WINDOW, now=now)
    # Both paths try the insert; the unique index (addresses are stored
    # normalised) refuses a taken one, and decides between two sign-ups at once.
    try:
        with transaction.atomic():
            candidate.save(force_insert=True)
    except IntegrityError:
        user_id, created = User.objects.get(email=candidate.email).pk, False
    else:
        user_id, created = candidate.pk, True
    language = translation.get_language() or settings.LANGUAGE_CODE
    issued_at = int(now.timestamp())
    transaction.on_commit(
        lambda: sign_up_email_task.enqueue(
            user_id=user_id,
            created=created,
            issued_at=issued_at,
            language=language,
            next_url=next_url,
        )
    )
    logger.info("Sign-up for account %s (new: %s)", user_id, created)


@task()
def sign_up_email_task(
    *, user_id: int, created: bool, issued_at: int, language: str, next_url: str
) -> None:
    """Send the one email a sign-up causes (see the module's docstring)."""
    user = User.objects.filter(pk=user_id, deleted_at__isnull=True).first()
    if user is None:
        return
    if created:
        verification_email_send(
            user=user, issued_at=issued_at, language=language, next_url=next_url
        )
    else:
        sign_up_notice_send(user=user, language=language, next_url=next_url)


def sign_up_notice_send(*, user: User, language: str, next_url: str = "") -> bool:
    """Tell the owner of an address in use that someone tried to sign up with it.

    An account an operator deactivated is told nothing.
    """
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    context: dict[str, object] = {"reset_link": password_reset_url(user=user)}
    if user.is_pending:
        template = "sign_up_pending"
        context.update(started=user.date_joined, days=days)
    elif user.is_active:
        template = "sign_up_existing"
        sign_in = link_with_next(reverse("accounts:sign-in"), next_url)
        context.update(sign_in_link=sign_in, days=days)
    else:
        return False
    return account_email_send(
        to=user.email,
        template=template,
        context=context,
        language=language,
        what="sign-up notice",
    )


@transaction.atomic(durable=True)
def user_sign_up_confirm(*, token: str, now: datetime | None = None) -> User:
    """Finish a pending account from its link: confirmed, and allowed to sign in.

    Raises VerificationLinkInvalid for a forged link, SignUpAlreadyConfirmed
    once the account is finished (before any expiry: signing in is the
    answer), and VerificationLinkExpired for a link older than
    ``ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS``.
    """
    now = now or timezone_now()
    user = user_get_by_sign_up_token(token=token, now=now)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_pending:  # finished meanwhile, in another tab
        raise SignUpAlreadyConfirmed()
    user.is_active = True
    user.email_verified_at = now
    user.save(update_fields=["is_active", "email_verified_at", "updated_at"])
    logger.info("Account %s confirmed its sign-up", user.pk)
    return user


def user_get_by_sign_up_token(*, token: str, now: datetime) -> User:
    """Return the pending account a sign-up link is for; raise as
    ``user_sign_up_confirm`` does. Reads only."""
    user, claim = user_get_by_verification_token(token=token)
    if not user.is_pending:
        raise SignUpAlreadyConfirmed()
    age = now.timestamp() - claim.issued_at
    if age > settings.ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS:
        raise VerificationLinkExpired(user_id=user.pk)
    return user
