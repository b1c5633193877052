"""The invitation e-mail, sent from a background task in the inviter's language.

The invitation service queues ``invitation_email_task`` through
``transaction.on_commit``; the token is made when the mail is rendered, from
the invitation row, so nothing secret waits in the task queue. A mail server
that is down is logged (without the address) by ``accounts.emails``; the
owner can send the invitation again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from ondas.accounts.emails import send_rendered
from ondas.studio.models import Invitation
from ondas.studio.tokens import invitation_token_make

logger = logging.getLogger(__name__)


def invitation_email_send(*, invitation: Invitation, language: str) -> bool:
    """Send the invitation's link to its address."""
    token = invitation_token_make(invitation_id=invitation.pk, email=invitation.email)
    target = invitation.show or invitation.audiobook
    with translation.override(language):
        context = {
            "site_url": settings.SITE_URL,
            "link": settings.SITE_URL
            + reverse("studio:invitation-accept", args=[token]),
            "title": str(target),
            "role": invitation.get_role_display(),
            "inviter": invitation.invited_by.email if invitation.invited_by else "",
            "expires_at": invitation.expires_at,
        }
        subject = render_to_string("studio/email/invitation_subject.txt", context)
        body = render_to_string("studio/email/invitation.txt", context)
    sent = send_rendered(
        to=invitation.email, subject=subject, body=body, what="studio invitation"
    )
    if sent:
        logger.info("Studio invitation %s sent", invitation.pk)
    return sent


@task()
def invitation_email_task(*, invitation_id: int, language: str) -> bool:
    """``invitation_email_send``, unless the invitation was used or withdrawn."""
    invitation = (
        Invitation.objects.select_related("show", "audiobook", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    return invitation_email_send(invitation=invitation, language=language)
