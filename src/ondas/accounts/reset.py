"""Password reset by email: counted per address and per client, sent by a task.

The request only counts and enqueues, so an existing and an unknown address
take the same time and get the same answer; the background task looks the
account up and sends the link (or nothing).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.timezone import now as timezone_now
from django_tasks import task

from ondas.accounts import ratelimit
from ondas.accounts.emails import send_rendered
from ondas.accounts.models import User

logger = logging.getLogger(__name__)

Scope = ratelimit.Scope

RESET_WINDOW = timedelta(hours=1)
RESETS_PER_ADDRESS = 3
RESETS_PER_CLIENT = 10


def password_reset_request(
    *, email: str, client_ip: str, now: datetime | None = None
) -> int | None:
    """Count one reset request and queue its email.

    Returns None when queued, or the seconds to wait when the address or the
    client asked too often (the same whether or not an account exists).
    """
    now = now or timezone_now()
    limits = (
        (Scope.PASSWORD_RESET_EMAIL, ratelimit.email_key(email), RESETS_PER_ADDRESS),
        (Scope.PASSWORD_RESET_IP, ratelimit.ip_key(client_ip), RESETS_PER_CLIENT),
    )
    wait = ratelimit.retry_after_any(limits=limits, window=RESET_WINDOW, now=now)
    if wait is not None:
        logger.warning("Password reset refused: too many requests")
        return wait
    for scope, key, _limit in limits:
        ratelimit.record(scope=scope, key=key, window=RESET_WINDOW, now=now)
    language = translation.get_language() or settings.LANGUAGE_CODE
    address = email.strip()
    transaction.on_commit(
        lambda: password_reset_email_task.enqueue(email=address, language=language)
    )
    return None


def password_reset_url(*, user: User) -> str:
    """Return the link that lets the owner of ``user``'s address choose a password."""
    path = reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


@task()
def password_reset_email_task(*, email: str, language: str) -> None:
    """Send the reset link to each account of ``email`` that may sign in, if any.

    A pending sign-up gets it too: the link proves the address, so choosing a
    password with it finishes the account (``user_password_reset_complete``).
    """
    for user in User.objects.filter(email__iexact=email, deleted_at__isnull=True):
        if not (user.is_active or user.is_pending) or not user.has_usable_password():
            continue
        context: dict[str, object] = {
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "user": user,
            "protocol": settings.SITE_URL.split("://", 1)[0],
            "domain": settings.SITE_URL.split("://", 1)[-1].rstrip("/"),
        }
        with translation.override(language):
            subject = render_to_string(
                "accounts/email/password_reset_subject.txt", context
            )
            body = render_to_string("accounts/email/password_reset.txt", context)
        send_rendered(to=user.email, subject=subject, body=body, what="password reset")
