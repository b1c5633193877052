"""Renewals: the work `ondas billing run` does when a period ends.

A period that ends renews (one charge, idempotent per subscription and
period), or ends a cancelled subscription; a failed charge makes it past due,
retried on the days of RETRY_SCHEDULE_DAYS after the period end, then expired.

The charge is collected before any lock is taken and recorded afterwards
(``charges``): two billing runs that meet on one subscription ask the
provider with the same key, and only the first to record moves it on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django_tasks import task

from ondas.accounts.models import User
from ondas.billing import lifecycle, notifications
from ondas.billing.errors import InvalidTransition
from ondas.billing.models import PaymentAttempt, Subscription, SubscriptionEvent
from ondas.billing.periods import period_end
from ondas.billing.providers import ChargeResult, ProviderError
from ondas.billing.services.charges import (
    ChargeRequest,
    attempt_unanswered,
    charge_collect,
    charge_record,
    charge_request,
)
from ondas.billing.services.ledger import ledger_record_charge
from ondas.billing.services.subscriptions import (
    TRANSITION_FIELDS,
    _locked,
    _read_before_call,
)
from ondas.core import clock

logger = logging.getLogger(__name__)

Status = Subscription.Status
Kind = SubscriptionEvent.Kind

# Days after the period end at which a failed renewal is tried again; after
# the last one fails, the subscription expires.
RETRY_SCHEDULE_DAYS = (1, 3, 5)
TRIAL_REMINDER_BEFORE = timedelta(days=2)
# What renewing may change; cancelling and the card are other writers' fields.
RENEWAL_FIELDS = [
    *TRANSITION_FIELDS,
    "current_period_start",
    "current_period_end",
    "failed_attempts",
]


def _next_period(sub: Subscription, now: datetime) -> tuple[datetime, datetime]:
    """The period a renewal pays for: it follows on, unless a whole period was missed."""
    start = sub.current_period_end
    if period_end(start, sub.plan.interval) <= now:
        start = now  # nobody listened through the gap: do not bill it
    return start, period_end(start, sub.plan.interval)


@dataclass(frozen=True)
class _Step:
    """What is due for a subscription at a moment: end it, renew or retry."""

    kind: str
    charge: ChargeRequest | None = None


def _renewal_charge(sub: Subscription, now: datetime) -> ChargeRequest:
    unanswered = attempt_unanswered(sub)
    if unanswered is not None:  # money may have moved: ask again, same key
        start = unanswered.period_start
        stop = period_end(start, sub.plan.interval)
        number, key = unanswered.number, unanswered.idempotency_key
    else:
        start, stop = _next_period(sub, now)
        number = sub.attempts.filter(period_start=start).count() + 1
        key = f"sub{sub.pk}:{start.isoformat()}:try{number}"
    return charge_request(
        sub, period_start=start, period_stop=stop, number=number, key=key
    )


def _due(sub: Subscription, now: datetime) -> _Step | None:
    if sub.status in (Status.TRIALING, Status.ACTIVE) and now >= sub.current_period_end:
        if sub.cancel_at_period_end:
            return _Step("end")
        return _Step("renew", _renewal_charge(sub, now))
    if sub.status == Status.PAST_DUE and sub.next_retry_at and now >= sub.next_retry_at:
        return _Step("retry", _renewal_charge(sub, now))
    return None


def subscription_advance(*, subscription: Subscription, now: datetime) -> Subscription:
    """Bring one subscription up to ``now``: end, renew, retry or expire it.

    When the provider gives no answer the attempt is recorded, the
    subscription is left as it was, and ProviderError is raised.
    """
    sub = _read_before_call(subscription)
    step = _due(sub, now)
    if step is None:
        return sub
    result: ChargeResult | None = None
    error: ProviderError | None = None
    if step.charge is not None:
        try:
            result = charge_collect(
                provider=sub.provider,
                payment_method_ref=sub.payment_method_ref,
                request=step.charge,
            )
        except ProviderError as exc:
            error = exc
    sub = _advance_record(subscription=sub, step=step, result=result, now=now)
    if error is not None:
        raise error
    return sub


@transaction.atomic(durable=True)
def _advance_record(
    *,
    subscription: Subscription,
    step: _Step,
    result: ChargeResult | None,
    now: datetime,
) -> Subscription:
    sub = _locked(subscription)
    still_due = _due(sub, now) == step  # before this attempt is written
    attempt = None
    if step.charge is not None:
        # Whatever happened meanwhile, the provider's answer is a fact.
        attempt = charge_record(sub, request=step.charge, result=result, now=now)
    if not still_due:
        logger.info("Subscription %s moved on while its charge was asked", sub.pk)
        return sub
    if step.kind == "end":
        event = lifecycle.transition(sub, Kind.CANCELED, now=now)
    elif attempt is None or result is None:
        return sub  # no answer: nothing changes until the provider gives one
    elif step.kind == "renew":
        event = _renewed(sub, attempt=attempt, now=now)
    else:
        event = _retried(sub, attempt=attempt, now=now)
    sub.save(update_fields=RENEWAL_FIELDS)
    event.save()
    return sub


def _renewed(
    sub: Subscription, *, attempt: PaymentAttempt, now: datetime
) -> SubscriptionEvent:
    if attempt.status == PaymentAttempt.Status.SUCCEEDED:
        kind = Kind.TRIAL_CONVERTED if sub.status == Status.TRIALING else Kind.RENEWED
        event = lifecycle.transition(sub, kind, now=now, data={"attempt": attempt.pk})
        _paid(sub, attempt=attempt)
        return event
    event = lifecycle.transition(
        sub, Kind.PAYMENT_FAILED, now=now, data={"reason": attempt.failure_reason}
    )
    sub.failed_attempts = 1
    sub.next_retry_at = sub.current_period_end + timedelta(days=RETRY_SCHEDULE_DAYS[0])
    notifications.payment_failed(subscription_id=sub.pk)
    return event


def _retried(
    sub: Subscription, *, attempt: PaymentAttempt, now: datetime
) -> SubscriptionEvent:
    if attempt.status == PaymentAttempt.Status.SUCCEEDED:
        event = lifecycle.transition(sub, Kind.PAYMENT_RECOVERED, now=now)
        _paid(sub, attempt=attempt)
        return event
    if sub.failed_attempts >= len(RETRY_SCHEDULE_DAYS):
        return lifecycle.transition(
            sub, Kind.EXPIRED, now=now, data={"reason": attempt.failure_reason}
        )
    event = lifecycle.transition(
        sub, Kind.PAYMENT_FAILED, now=now, data={"reason": attempt.failure_reason}
    )
    sub.next_retry_at = sub.current_period_end + timedelta(
        days=RETRY_SCHEDULE_DAYS[sub.failed_attempts]
    )
    sub.failed_attempts += 1
    return event


def _paid(sub: Subscription, *, attempt: PaymentAttempt) -> None:
    sub.current_period_start = attempt.period_start
    sub.current_period_end = period_end(attempt.period_start, sub.plan.interval)
    sub.failed_attempts = 0
    sub.next_retry_at = None


@transaction.atomic(durable=True)
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
    sub.save(update_fields=RENEWAL_FIELDS)
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
    for sub in _due_offline(now=now):
        try:
            subscription_advance(subscription=sub, now=now)
            report.advanced += 1
        except Exception as exc:  # noqa: BLE001 - one bad row must not stop the run
            logger.exception("Billing run failed for subscription %s", sub.pk)
            report.errors.append(f"{sub.pk}: {exc}")
    report.reminders = trial_reminders_send(now=now)
    return report


@task()
def billing_run_task() -> dict[str, int]:
    """The schedule's billing run (ops.jobs): everything due now; may run twice
    (rows are locked, every charge has an idempotency key)."""
    report = billing_run(now=clock.now())
    return {
        "advanced": report.advanced,
        "reminders": report.reminders,
        "errors": len(report.errors),
    }


@transaction.atomic(durable=True)
def _due_offline(*, now: datetime) -> list[Subscription]:
    """The subscriptions Ondas itself renews that are due at ``now``.

    Durable, so a billing run inside a caller's transaction fails at once.
    """
    # Stripe renews and retries on its own schedule and tells us by webhook.
    due = (
        Subscription.objects.filter(provider="offline")
        .filter(
            Q(status__in=[Status.TRIALING, Status.ACTIVE], current_period_end__lte=now)
            | Q(status=Status.PAST_DUE, next_retry_at__lte=now)
        )
        .order_by("pk")
    )
    return list(due)


def trial_reminders_send(*, now: datetime) -> int:
    """Tell people whose trial ends within two days, once per trial."""
    soon = Subscription.objects.filter(
        status=Status.TRIALING,
        cancel_at_period_end=False,
        trial_end__gt=now,
        trial_end__lte=now + TRIAL_REMINDER_BEFORE,
    ).exclude(events__kind=Kind.REMINDER_SENT)
    return sum(_trial_remind(subscription=sub, now=now) for sub in soon)


@transaction.atomic(durable=True)
def _trial_remind(*, subscription: Subscription, now: datetime) -> bool:
    sub = _locked(subscription)
    if (
        sub.status != Status.TRIALING
        or sub.cancel_at_period_end
        or sub.events.filter(kind=Kind.REMINDER_SENT).exists()
    ):
        return False  # cancelled, converted, or reminded by another run meanwhile
    lifecycle.record(sub, Kind.REMINDER_SENT, now=now)
    notifications.trial_ending(subscription_id=sub.pk)
    return True
