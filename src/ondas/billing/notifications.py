"""Emails about a subscription, sent by a background task after the commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from ondas.billing.models import LedgerEntry, Subscription
from ondas.billing.money import format_money

logger = logging.getLogger(__name__)


def _send(*, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


@task()
def send_billing_email_task(*, kind: str, object_id: int) -> None:
    """Render and send one billing email in the storefront's language."""
    with translation.override(settings.LANGUAGE_CODE):
        if kind == "receipt":
            entry = LedgerEntry.objects.select_related("user").get(pk=object_id)
            if not entry.user.is_active:
                return
            amount = format_money(entry.amount_minor, entry.currency)
            _send(
                to=entry.user.email,
                subject=_("Your Ondas receipt"),
                body=_("We received %(amount)s for %(plan)s. Thank you for listening.")
                % {"amount": amount, "plan": entry.description},
            )
            return
        sub = Subscription.objects.select_related("user", "plan").get(pk=object_id)
        if not sub.user.is_active:
            return
        when = sub.current_period_end.strftime("%Y-%m-%d")
        price = format_money(sub.plan.price_minor, sub.plan.currency)
        messages = {
            "trial_ending": (
                _("Your free trial ends soon"),
                _(
                    "Your trial of %(plan)s ends on %(date)s. After that it costs "
                    "%(price)s each period; cancel before then and you pay nothing."
                ),
            ),
            "payment_failed": (
                _("We could not take your payment"),
                _(
                    "The payment for %(plan)s did not go through. We will try again in "
                    "the next few days; you can change your card on your account page."
                ),
            ),
            "cancellation_confirmed": (
                _("Your subscription is cancelled"),
                _(
                    "You will not be charged again. %(plan)s stays yours until "
                    "%(date)s, and you can resume it until then."
                ),
            ),
        }
        subject, body = messages[kind]
        _send(
            to=sub.user.email,
            subject=subject,
            body=body % {"plan": sub.plan.name, "date": when, "price": price},
        )


def _enqueue(kind: str, object_id: int) -> None:
    transaction.on_commit(
        lambda: send_billing_email_task.enqueue(kind=kind, object_id=object_id)
    )


def receipt(*, entry_id: int) -> None:
    _enqueue("receipt", entry_id)


def trial_ending(*, subscription_id: int) -> None:
    _enqueue("trial_ending", subscription_id)


def payment_failed(*, subscription_id: int) -> None:
    _enqueue("payment_failed", subscription_id)


def cancellation_confirmed(*, subscription_id: int) -> None:
    _enqueue("cancellation_confirmed", subscription_id)
