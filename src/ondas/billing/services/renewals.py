"""Renewals: the work `ondas billing run` does when a period ends.

A period that ends renews (one charge, idempotent per subscription and
period), or ends a cancelled subscription; a failed charge makes it past due,
retried on the days of RETRY_SCHEDULE_DAYS after the period end, then expired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from ondas.accounts.models import User
from ondas.billing import lifecycle, notifications
from ondas.billing.errors import InvalidTransition
from ondas.billing.models import PaymentAttempt, Subscription, SubscriptionEvent
from ondas.billing.periods import period_end
from ondas.billing.services.ledger import ledger_record_charge
from ondas.billing.services.subscriptions import _charge, _locked

logger = logging.getLogger(__name__)

Status = Subscription.Status
Kind = SubscriptionEvent.Kind

# Days after the period end at which a failed renewal is tried again; after
# the last one fails, the subscription expires.
RETRY_SCHEDULE_DAYS = (1, 3, 5)
TRIAL_REMINDER_BEFORE = timedelta(days=2)


def _next_period(sub: Subscription, now: datetime) -> tuple[datetime, datetime]:
    """The period a renewal pays for: it follows on, unless a whole period was missed."""
    start = sub.current_period_end
    if period_end(start, sub.plan.interval) <= now:
        start = now  # nobody listened through the gap: do not bill it
    return start, period_end(start, sub.plan.interval)


def _renew(sub: Subscription, now: datetime) -> None:
    start, stop = _next_period(sub, now)
    attempt = _charge(sub, period_start=start, period_stop=stop, now=now)
    if attempt.status == PaymentAttempt.Status.SUCCEEDED:
        kind = Kind.TRIAL_CONVERTED if sub.status == Status.TRIALING else Kind.RENEWED
        event = lifecycle.transition(sub, kind, now=now, data={"attempt": attempt.pk})
        sub.current_period_start, sub.current_period_end = start, stop
        sub.failed_attempts = 0
        sub.next_retry_at = None
    else:
        event = lifecycle.transition(
            sub, Kind.PAYMENT_FAILED, now=now, data={"reason": attempt.failure_reason}
        )
        sub.failed_attempts = 1
        sub.next_retry_at = sub.current_period_end + timedelta(
            days=RETRY_SCHEDULE_DAYS[0]
        )
        notifications.payment_failed(subscription_id=sub.pk)
    sub.save()
    event.save()


def _retry(sub: Subscription, now: datetime) -> None:
    start, stop = _next_period(sub, now)
    attempt = _charge(sub, period_start=start, period_stop=stop, now=now)
    if attempt.status == PaymentAttempt.Status.SUCCEEDED:
        event = lifecycle.transition(sub, Kind.PAYMENT_RECOVERED, now=now)
        sub.current_period_start, sub.current_period_end = start, stop
        sub.failed_attempts = 0
        sub.next_retry_at = None
    elif sub.failed_attempts >= len(RETRY_SCHEDULE_DAYS):
        event = lifecycle.transition(
            sub, Kind.EXPIRED, now=now, data={"reason": attempt.failure_reason}
        )
    else:
        event = lifecycle.transition(
            sub, Kind.PAYMENT_FAILED, now=now, data={"reason": attempt.failure_reason}
        )
        sub.next_retry_at = sub.current_period_end + timedelta(
            days=RETRY_SCHEDULE_DAYS[sub.failed_attempts]
        )
        sub.failed_attempts += 1
    sub.save()
    event.save()


@transaction.atomic
def subscription_advance(*, subscription: Subscription, now: datetime) -> Subscription:
    """Bring one subscription up to ``now``: end, renew, retry or expire it."""
    sub = _locked(subscription)
    if sub.status in (Status.TRIALING, Status.ACTIVE) and now >= sub.current_period_end:
        if sub.cancel_at_period_end:
            event = lifecycle.transition(sub, Kind.CANCELED, now=now)
            sub.save()
            event.save()
        else:
            _renew(sub, now)
    elif (
        sub.status == Status.PAST_DUE and sub.next_retry_at and now >= sub.next_retry_at
    ):
        _retry(sub, now)
    return sub


@transaction.atomic
def subscription_record_offline_payment(
    *, subscription: Subscription, acting_user: User, reference: str, now: datetime
) -> Subscription:
    """Staff confirm a payment received outside Ondas for an overdue subscription."""
    sub = _locked(subscription)
    if sub.status != Status.PAST_DUE:
        raise InvalidTransition(kind=Kind.PAYMENT_RECOVERED, from_status=sub.status)
    start, stop = _next_period(sub, now)
    ledger_record_charge(
        sub=sub, period_start=start, period_stop=stop, provider_ref=reference, now=now
    )
    event = lifecycle.transition(
        sub,
        Kind.PAYMENT_RECOVERED,
        now=now,
        actor=acting_user,
        data={"reference": reference},
    )
    sub.current_period_start, sub.current_period_end = start, stop
    sub.failed_attempts = 0
    sub.next_retry_at = None
    sub.save()
    event.save()
    return sub


@dataclass
class BillingRunReport:
    advanced: int = 0
    reminders: int = 0
    errors: list[str] = field(default_factory=list)


def billing_run(*, now: datetime) -> BillingRunReport:
    """Do every piece of billing work that is due at ``now`` (cron calls this)."""
    report = BillingRunReport()
    # Stripe renews and retries on its own schedule and tells us by webhook.
    due = (
        Subscription.objects.filter(provider="offline")
        .filter(
            Q(status__in=[Status.TRIALING, Status.ACTIVE], current_period_end__lte=now)
            | Q(status=Status.PAST_DUE, next_retry_at__lte=now)
        )
        .order_by("pk")
    )
    for sub in due.iterator():
        try:
            subscription_advance(subscription=sub, now=now)
            report.advanced += 1
        except Exception as exc:  # noqa: BLE001 - one bad row must not stop the run
            logger.exception("Billing run failed for subscription %s", sub.pk)
            report.errors.append(f"{sub.pk}: {exc}")
    report.reminders = trial_reminders_send(now=now)
    return report


def trial_reminders_send(*, now: datetime) -> int:
    """Tell people whose trial ends within two days, once per trial."""
    soon = Subscription.objects.filter(
        status=Status.TRIALING,
        cancel_at_period_end=False,
        trial_end__gt=now,
        trial_end__lte=now + TRIAL_REMINDER_BEFORE,
    ).exclude(events__kind=Kind.REMINDER_SENT)
    sent = 0
    for sub in soon:
        with transaction.atomic():
            lifecycle.record(sub, Kind.REMINDER_SENT, now=now)
            notifications.trial_ending(subscription_id=sub.pk)
        sent += 1
    return sent
