"""Subscriptions: start, cancel, resume, renew, retry, expire.

Every function takes ``now`` so tests can move the clock; each runs in one
transaction and re-reads the subscription under ``select_for_update``.
Charges go through the provider with an idempotency key per subscription and
period (and attempt); the ledger's unique keys make a repeated write a no-op.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from ondas.accounts.models import User
from ondas.billing import lifecycle, notifications
from ondas.billing.errors import (
    AlreadySubscribed,
    PaymentDeclined,
    SubscriptionAlreadyCancelled,
    SubscriptionNotResumable,
)
from ondas.billing.models import (
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionEvent,
    TrialClaim,
)
from ondas.billing.periods import period_end
from ondas.billing.providers import PaymentMethod, get_provider
from ondas.billing.providers.stripe import StripeProvider
from ondas.billing.selectors import trial_available
from ondas.billing.services.ledger import ledger_record_charge
from ondas.core.digests import keyed_digest

logger = logging.getLogger(__name__)

Status = Subscription.Status
Kind = SubscriptionEvent.Kind


def _charge(
    sub: Subscription,
    *,
    period_start: datetime,
    period_stop: datetime,
    now: datetime,
    first: bool = False,
) -> PaymentAttempt:
    """Try to collect the plan's price for one period; write attempt and ledger rows."""
    number = sub.attempts.filter(period_start=period_start).count() + 1
    suffix = "first" if first else f"try{number}"
    key = f"sub{sub.pk}:{period_start.isoformat()}:{suffix}"
    result = get_provider(sub.provider).charge(
        payment_method_ref=sub.payment_method_ref,
        amount_minor=sub.plan.price_minor,
        currency=sub.plan.currency,
        idempotency_key=key,
        description=f"{sub.plan.name} {period_start:%Y-%m-%d}",
    )
    attempt = PaymentAttempt.objects.create(
        subscription=sub,
        period_start=period_start,
        number=number,
        amount_minor=sub.plan.price_minor,
        currency=sub.plan.currency,
        status=PaymentAttempt.Status.SUCCEEDED
        if result.ok
        else PaymentAttempt.Status.FAILED,
        idempotency_key=key,
        provider_ref=result.provider_ref,
        failure_reason=result.failure_reason,
        created_at=now,
    )
    if result.ok:
        ledger_record_charge(
            sub=sub,
            period_start=period_start,
            period_stop=period_stop,
            provider_ref=result.provider_ref,
            now=now,
        )
    return attempt


@transaction.atomic
def subscription_start(
    *,
    user: User,
    plan: Plan,
    payment_method: PaymentMethod,
    provider: str = "offline",
    now: datetime,
) -> Subscription:
    """Subscribe ``user``: a free trial if the plan has one and it is their first,
    otherwise the first period is charged at once (PaymentDeclined if refused)."""
    User.objects.select_for_update().get(pk=user.pk)  # one start at a time per person
    if Subscription.objects.filter(user=user, status__in=Subscription.LIVE).exists():
        raise AlreadySubscribed
    with_trial = plan.trial_days > 0 and trial_available(
        email=user.email, payment_fingerprint=payment_method.fingerprint
    )
    if with_trial:
        end = now + timedelta(days=plan.trial_days)
    else:
        end = period_end(now, plan.interval)
    sub = Subscription(
        user=user,
        plan=plan,
        current_period_start=now,
        current_period_end=end,
        trial_end=end if with_trial else None,
        provider=provider,
        payment_method_ref=payment_method.ref,
        payment_method_label=payment_method.label,
    )
    event = lifecycle.transition(
        sub,
        Kind.STARTED,
        now=now,
        actor=user,
        born_active=not with_trial,
        data={"trial": with_trial},
    )
    sub.save()
    event.save()
    if with_trial:
        TrialClaim.objects.create(
            email_digest=keyed_digest(user.email.strip().lower()),
            payment_fingerprint_digest=(
                keyed_digest(payment_method.fingerprint)
                if payment_method.fingerprint
                else None
            ),
            subscription=sub,
            claimed_at=now,
        )
    elif plan.price_minor:
        attempt = _charge(sub, period_start=now, period_stop=end, now=now, first=True)
        if attempt.status != PaymentAttempt.Status.SUCCEEDED:
            # Nothing was sold: the exception rolls the whole start back.
            raise PaymentDeclined(reason=attempt.failure_reason)
    logger.info("Subscription %s started (trial=%s)", sub.pk, with_trial)
    return sub


def subscription_checkout_url(
    *, user: User, plan: Plan, success_url: str, cancel_url: str
) -> str:
    """Open a Stripe Checkout for ``plan``; the trial only if it is the person's first.

    The subscription itself appears when Stripe's webhook reports it.
    """
    if Subscription.objects.filter(user=user, status__in=Subscription.LIVE).exists():
        raise AlreadySubscribed
    with_trial = plan.trial_days > 0 and trial_available(
        email=user.email, payment_fingerprint=""
    )
    provider = get_provider("stripe")
    assert isinstance(provider, StripeProvider)
    return provider.checkout_url(
        price_id=plan.stripe_price_id,
        email=user.email,
        user_id=user.pk,
        plan_slug=plan.slug,
        trial_days=plan.trial_days if with_trial else 0,
        success_url=success_url,
        cancel_url=cancel_url,
    )


def _locked(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update()
        .select_related("plan", "user")
        .get(pk=subscription.pk)
    )


@transaction.atomic
def subscription_cancel(
    *, subscription: Subscription, acting_user: User | None, now: datetime
) -> Subscription:
    """Stop renewal; access runs to the end of the trial or paid period.

    While a payment is overdue there is nothing left to run to: it ends now.
    """
    sub = _locked(subscription)
    if not sub.is_live or sub.cancel_at_period_end:
        raise SubscriptionAlreadyCancelled
    provider = get_provider(sub.provider)
    if sub.status == Status.PAST_DUE:
        provider.cancel_now(subscription_ref=sub.provider_ref)
        event = lifecycle.transition(sub, Kind.CANCELED, now=now, actor=acting_user)
        sub.cancelled_at = now
        sub.save(
            update_fields=[
                "status",
                "ended_at",
                "next_retry_at",
                "cancelled_at",
                "updated_at",
            ]
        )
        event.save()
    else:
        provider.set_cancel_at_period_end(
            subscription_ref=sub.provider_ref, cancel=True
        )
        sub.cancel_at_period_end = True
        sub.cancelled_at = now
        sub.save(update_fields=["cancel_at_period_end", "cancelled_at", "updated_at"])
        lifecycle.record(sub, Kind.CANCEL_REQUESTED, now=now, actor=acting_user)
    notifications.cancellation_confirmed(subscription_id=sub.pk)
    logger.info("Subscription %s cancelled", sub.pk)
    return sub


@transaction.atomic
def subscription_resume(
    *, subscription: Subscription, acting_user: User | None, now: datetime
) -> Subscription:
    """Undo a cancellation before the period ends: renewal goes on as before."""
    sub = _locked(subscription)
    if not (
        sub.cancel_at_period_end
        and sub.status in (Status.TRIALING, Status.ACTIVE)
        and now < sub.current_period_end
    ):
        raise SubscriptionNotResumable
    get_provider(sub.provider).set_cancel_at_period_end(
        subscription_ref=sub.provider_ref, cancel=False
    )
    sub.cancel_at_period_end = False
    sub.cancelled_at = None
    sub.save(update_fields=["cancel_at_period_end", "cancelled_at", "updated_at"])
    lifecycle.record(sub, Kind.RESUMED, now=now, actor=acting_user)
    return sub


def subscription_end_for_deleted_user(*, user: User, now: datetime) -> None:
    """End the person's live subscription at once: their account is going away.

    Connected to ``accounts.signals.user_deleting``; safe to run twice.
    """
    for sub in Subscription.objects.filter(user=user, status__in=Subscription.LIVE):
        with transaction.atomic():
            locked = _locked(sub)
            if not locked.is_live:
                continue
            get_provider(locked.provider).cancel_now(
                subscription_ref=locked.provider_ref
            )
            event = lifecycle.transition(
                locked, Kind.CANCELED, now=now, data={"reason": "account_deleted"}
            )
            locked.cancelled_at = locked.cancelled_at or now
            locked.save()
            event.save()


def plan_create(
    *,
    slug: str,
    name: str,
    price_minor: int,
    currency: str,
    interval: str = Plan.Interval.MONTH,
    trial_days: int = 0,
    audiobook_hours: int = 0,
    includes_exclusive: bool = False,
    past_due_keeps_access: bool = True,
    position: int = 0,
) -> Plan:
    """Create a plan (operators usually do this in the admin)."""
    plan = Plan(
        slug=slug,
        name=name,
        price_minor=price_minor,
        currency=currency,
        interval=interval,
        trial_days=trial_days,
        audiobook_hours=audiobook_hours,
        includes_exclusive=includes_exclusive,
        past_due_keeps_access=past_due_keeps_access,
        position=position,
    )
    plan.full_clean()
    plan.save()
    return plan
