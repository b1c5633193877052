"""Emails about a private feed key, sent by a background task after the commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from ondas.feedkeys.models import PrivateFeedKey

logger = logging.getLogger(__name__)


def _send(*, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def _private_feed_owner(key_id: int) -> tuple[PrivateFeedKey, dict[str, str]] | None:
    """The key with what its emails say (the show, where to copy the address),
    or None when its owner can no longer be written to."""
    key = PrivateFeedKey.objects.select_related("user", "show").get(pk=key_id)
    if not key.user.is_active:
        return None
    facts = {
        "show": key.show.title,
        "account": settings.SITE_URL + reverse("accounts:account") + "#private-feeds",
    }
    return key, facts


def _private_feed_shared(*, key_id: int, reset: bool) -> None:
    if (owner := _private_feed_owner(key_id)) is None:
        return
    key, facts = owner
    seen = _(
        "Today your private feed of %(show)s was used from more places, or by "
        "more apps, than one person's devices would use."
    )
    if reset:
        subject = _("We replaced the address of your private feed")
        then = _(
            "To protect your subscription we replaced its address: the old one no "
            "longer works. Copy the new one from your account page into your "
            "podcast app: %(account)s"
        )
    else:
        subject = _("Your private feed may have been shared")
        then = _(
            "The address is yours alone. If you shared it, or it leaked, make a "
            "new one on your account page: %(account)s"
        )
    _send(to=key.user.email, subject=subject, body=(seen + "\n\n" + then) % facts)


def _private_feed_replaced(*, key_id: int) -> None:
    if (owner := _private_feed_owner(key_id)) is None:
        return
    key, facts = owner
    body = _(
        "We replaced the address of your private feed of %(show)s: the old one "
        "no longer works. Copy the new one from your account page into your "
        "podcast app: %(account)s"
    )
    _send(
        to=key.user.email,
        subject=_("We replaced the address of your private feed"),
        body=body % facts,
    )


@task()
def send_feed_key_email_task(*, kind: str, key_id: int) -> None:
    """Render and send one private-feed email in the storefront's language."""
    with translation.override(settings.LANGUAGE_CODE):
        if kind == "replaced":
            _private_feed_replaced(key_id=key_id)
        else:
            _private_feed_shared(key_id=key_id, reset=kind == "reset")


def _enqueue(kind: str, key_id: int) -> None:
    transaction.on_commit(
        lambda: send_feed_key_email_task.enqueue(kind=kind, key_id=key_id)
    )


def private_feed_shared(*, key_id: int, reset: bool) -> None:
    _enqueue("reset" if reset else "flagged", key_id)


def private_feed_replaced(*, key_id: int) -> None:
    """Tell the person staff replaced their key; ``key_id`` is the new key."""
    _enqueue("replaced", key_id)
