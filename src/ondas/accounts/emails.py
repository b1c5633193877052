"""Emails about a person's account, rendered in the language they used.

Services call these through ``transaction.on_commit``; confirmation links go
out from a background task, so a request never waits for the mail server. A
mail server that is down must not undo a sign-up, so sending failures are
logged (without the address) and reported as ``False``; the person can ask
for the email again.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from ondas.accounts.models import User
from ondas.accounts.tokens import verification_token_make

logger = logging.getLogger(__name__)


def account_email_send(
    *, to: str, template: str, context: dict[str, object], language: str, what: str
) -> bool:
    """Render ``accounts/email/<template>`` in ``language`` and send it."""
    with translation.override(language):
        context = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
        body = render_to_string(f"accounts/email/{template}.txt", context)
    return send_rendered(to=to, subject=subject, body=body, what=what)


def send_rendered(*, to: str, subject: str, body: str, what: str) -> bool:
    """Send one rendered email; a failure is logged without the address."""
    try:
        send_mail(
            " ".join(subject.split()),  # one line: headers cannot hold newlines
            body,
            None,  # DEFAULT_FROM_EMAIL
            [to],
        )
    except (smtplib.SMTPException, OSError) as exc:
        # The exception text may hold the address: log its type only.
        logger.error("Could not send the %s email: %s", what, type(exc).__name__)
        return False
    return True


def link_with_next(path: str, next_url: str) -> str:
    """An absolute link to ``path`` on this site that carries on to ``next_url``."""
    query = "?" + urlencode({"next": next_url}) if next_url else ""
    return settings.SITE_URL + path + query


def verification_email_send(
    *, user: User, issued_at: int, language: str, next_url: str = ""
) -> bool:
    """Send the link that confirms the account's address.

    For an account still pending (``User.is_pending``) it is the link that
    finishes signing up and carries on to ``next_url``. ``issued_at`` (a Unix
    time) is when the link was asked for: its age counts from then.
    """
    issued = datetime.fromtimestamp(issued_at, tz=UTC)
    token = verification_token_make(user_id=user.pk, email=user.email, now=issued)
    if user.is_pending:
        path = reverse("accounts:sign-up-confirm", args=[token])
        template, link = "sign_up_confirm", link_with_next(path, next_url)
    else:
        path = reverse("accounts:verify-email", args=[token])
        template, link = "verify", settings.SITE_URL + path
    hours = settings.ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS // 3600
    sent = account_email_send(
        to=user.email,
        template=template,
        context={"link": link, "hours": hours},
        language=language,
        what="verification",
    )
    if sent:
        logger.info("Verification email sent to user %s", user.pk)
    return sent


@task()
def verification_email_task(*, user_id: int, issued_at: int, language: str) -> None:
    """``verification_email_send`` for the account, unless it was deleted since."""
    user = User.objects.filter(pk=user_id, deleted_at__isnull=True).first()
    if user is not None:
        verification_email_send(user=user, issued_at=issued_at, language=language)


def account_deleted_email_send(*, email: str, language: str) -> bool:
    """Tell the former address that its account is gone (or that someone did it)."""
    return account_email_send(
        to=email,
        template="deleted",
        context={},
        language=language,
        what="account deleted",
    )
