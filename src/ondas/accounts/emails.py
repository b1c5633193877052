"""Emails about a person's account, rendered in the language they used.

Services call these through ``transaction.on_commit``. A mail server that is
down must not undo a sign-up, so sending failures are logged (without the
address) and reported as ``False``; the person can ask for the email again.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)


def _send(
    *, to: str, template: str, context: dict[str, object], language: str, what: str
) -> bool:
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


def verification_email_send(
    *, user_id: int, email: str, token: str, language: str
) -> bool:
    """Send the link that confirms ``email``."""
    link = settings.SITE_URL + reverse("accounts:verify-email", args=[token])
    hours = settings.ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS // 3600
    sent = _send(
        to=email,
        template="verify",
        context={"link": link, "hours": hours},
        language=language,
        what="verification",
    )
    if sent:
        logger.info("Verification email sent to user %s", user_id)
    return sent


def account_deleted_email_send(*, email: str, language: str) -> bool:
    """Tell the former address that its account is gone (or that someone did it)."""
    return _send(
        to=email,
        template="deleted",
        context={},
        language=language,
        what="account deleted",
    )
