"""Subscriptions: start, cancel, resume, end; renewals live in ``renewals``.

Every function takes ``now`` so tests can move the clock. A service that asks
the payment provider does so first, with no transaction open, and then
records the answer in a short durable transaction that re-reads the
subscription under ``select_for_update`` and checks it again: another request
may have moved it on meanwhile (``charges`` explains why, and the keys).
Those services refuse to run inside a caller's transaction (RuntimeError):
their first read is a durable transaction, before the provider is asked.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.db import transaction

from ondas.accounts.models import User
from ondas.billing import lifecycle, notifications
from ondas.billing.errors import (
    AlreadySubscribed,
    InvalidTransition,
    PaymentDeclined,
    SubscriptionAlreadyCancelled,
    SubscriptionNotResumable,
    TrialRefusal,
    TrialUnavailable,
)
from ondas.billing.models import (
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionEvent,
    TrialClaim,
)
from ondas.billing.periods import period_end
from ondas.billing.providers import ChargeResult, PaymentMethod, get_provider
from ondas.billing.selectors import trial_available, trial_refusal
from ondas.billing.services.charges import (
    ChargeRequest,
    charge_collect,
    charge_record,
)
from ondas.core.digests import keyed_digest

logger = logging.getLogger(__name__)

Status = Subscription.Status
Kind = SubscriptionEvent.Kind

# How many times a service decides again when the subscription changed under
# it between the provider call and the record; past that it gives up (409).
ROUNDS = 3
# What a transition may change (``lifecycle.transition``), with the timestamp.
TRANSITION_FIELDS = ["status", "ended_at", "next_retry_at", "updated_at"]


def _locked(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update()
        .select_related("plan", "user")
        .get(pk=subscription.pk)
    )


@transaction.atomic(durable=True)
def _read_before_call(subscription: Subscription) -> Subscription:
    """Read the subscription a provider call is planned from.

    Durable on purpose: inside a caller's transaction this raises RuntimeError
    before the provider is asked, instead of holding that transaction's locks
    through a network call.
    """
    return Subscription.objects.select_related("plan", "user").get(pk=subscription.pk)


# Starting ---------------------------------------------------------------------


def subscription_start(
    *,
    user: User,
    plan: Plan,
    payment_method: PaymentMethod,
    provider: str = "offline",
    now: datetime,
    accept_charge: bool = False,
) -> Subscription:
    """Subscribe ``user``: a free trial if the plan has one and neither their
    address nor this card has had one, otherwise the first period is charged
    at once (PaymentDeclined if refused).

    A trial the plan offers is never quietly replaced by a charge: when this
    card or address has had its trial, TrialUnavailable is raised before
    anything is charged, unless ``accept_charge`` says the person was told
    the price is due today and agreed. A refused or unanswered first charge
    writes nothing (ProviderError is raised as it is): asking again with the
    same card uses the same key.
    """
    for _round in range(ROUNDS):
        with_trial = start_check(user=user, plan=plan, payment_method=payment_method)
        if not with_trial and plan.trial_days and not accept_charge:
            raise trial_unavailable(
                user=user, plan=plan, fingerprint=payment_method.fingerprint
            )
        charge: tuple[ChargeRequest, ChargeResult] | None = None
        if not with_trial and plan.price_minor:
            request = _first_charge_request(
                user=user, plan=plan, payment_method=payment_method, now=now
            )
            result = charge_collect(
                provider=provider,
                payment_method_ref=payment_method.ref,
                request=request,
            )
            if not result.ok:
                raise PaymentDeclined(reason=result.failure_reason)
            charge = (request, result)
        sub = _start_record(
            user=user,
            plan=plan,
            payment_method=payment_method,
            provider=provider,
            now=now,
            with_trial=with_trial,
            charge=charge,
        )
        if sub is not None:
            logger.info("Subscription %s started (trial=%s)", sub.pk, with_trial)
            return sub
    raise InvalidTransition(kind=Kind.STARTED, from_status="")


@transaction.atomic(durable=True)
def start_check(*, user: User, plan: Plan, payment_method: PaymentMethod) -> bool:
    """``start_decide`` before the provider is asked (durable: see above)."""
    return start_decide(user=user, plan=plan, payment_method=payment_method)


def start_decide(*, user: User, plan: Plan, payment_method: PaymentMethod) -> bool:
    """Refuse a second live subscription; say whether this start is a trial."""
    if Subscription.objects.filter(user=user, status__in=Subscription.LIVE).exists():
        raise AlreadySubscribed
    return plan.trial_days > 0 and trial_available(
        email=user.email, payment_fingerprint=payment_method.fingerprint
    )


def trial_unavailable(*, user: User, plan: Plan, fingerprint: str) -> TrialUnavailable:
    """The error that stops a start whose trial this card or address cannot have."""
    reason = trial_refusal(email=user.email, payment_fingerprint=fingerprint)
    return TrialUnavailable(
        reason=reason or TrialRefusal.CARD,
        amount_minor=plan.price_minor,
        currency=plan.currency,
    )


def _first_charge_request(
    *, user: User, plan: Plan, payment_method: PaymentMethod, now: datetime
) -> ChargeRequest:
    # The same person's n-th subscription with the same card: a second click,
    # or a retry after a crash, asks with the same key; another card does not.
    number = Subscription.objects.filter(user=user).count() + 1
    card = hashlib.sha256(payment_method.ref.encode()).hexdigest()[:16]
    return ChargeRequest(
        period_start=now,
        period_stop=period_end(now, plan.interval),
        number=1,
        key=f"start:user{user.pk}:n{number}:{card}:first",
        amount_minor=plan.price_minor,
        currency=plan.currency,
        description=f"{plan.name} {now:%Y-%m-%d}",
    )


@transaction.atomic(durable=True)
def _start_record(
    *,
    user: User,
    plan: Plan,
    payment_method: PaymentMethod,
    provider: str,
    now: datetime,
    with_trial: bool,
    charge: tuple[ChargeRequest, ChargeResult] | None,
) -> Subscription | None:
    """Write the subscription as decided; None if the trial was taken meanwhile."""
    User.objects.select_for_update().get(pk=user.pk)  # one start at a time per person
    try:
        still_trial = start_decide(user=user, plan=plan, payment_method=payment_method)
    except AlreadySubscribed:
        if charge is not None and not (
            PaymentAttempt.objects.filter(idempotency_key=charge[0].key).exists()
        ):
            logger.error(
                "User %s: first charge %s collected, but another subscription "
                "started meanwhile; refund it",
                user.pk,
                charge[0].key,
            )
        raise
    if with_trial and not still_trial:
        return None  # the card's trial went to someone else: charge instead
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
    sub.save(force_insert=True)
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
    elif charge is not None:
        request, result = charge
        charge_record(sub, request=request, result=result, now=now)
    return sub


# Cancelling and resuming -------------------------------------------------------


def subscription_cancel(
    *, subscription: Subscription, acting_user: User | None, now: datetime
) -> Subscription:
    """Stop renewal; access runs to the end of the trial or paid period.

    While a payment is overdue there is nothing left to run to: it ends now.
    The provider is told first; if the subscription went overdue meanwhile,
    it is told again to end it now.
    """
    for _round in range(ROUNDS):
        sub = _read_before_call(subscription)
        ends_now = _cancel_ends_now(sub)
        provider = get_provider(sub.provider)
        if ends_now:
            provider.cancel_now(subscription_ref=sub.provider_ref)
        else:
            provider.set_cancel_at_period_end(
                subscription_ref=sub.provider_ref, cancel=True
            )
        done = _cancel_record(
            subscription=sub, ends_now=ends_now, acting_user=acting_user, now=now
        )
        if done is not None:
            logger.info("Subscription %s cancelled", done.pk)
            return done
    raise InvalidTransition(kind=Kind.CANCEL_REQUESTED, from_status=sub.status)


def _cancel_ends_now(sub: Subscription) -> bool:
    """Whether cancelling ends ``sub`` at once; SubscriptionAlreadyCancelled if done."""
    if not sub.is_live or sub.cancel_at_period_end:
        raise SubscriptionAlreadyCancelled
    return sub.status == Status.PAST_DUE


@transaction.atomic(durable=True)
def _cancel_record(
    *,
    subscription: Subscription,
    ends_now: bool,
    acting_user: User | None,
    now: datetime,
) -> Subscription | None:
    """Record what the provider was told; None if that no longer fits the row."""
    sub = _locked(subscription)
    if ends_now:
        if not sub.is_live:
            raise SubscriptionAlreadyCancelled
        # The provider has ended it, whatever happened here meanwhile.
        event = lifecycle.transition(sub, Kind.CANCELED, now=now, actor=acting_user)
        sub.cancelled_at = now
        sub.save(update_fields=[*TRANSITION_FIELDS, "cancelled_at"])
        event.save()
    else:
        if _cancel_ends_now(sub):
            return None  # overdue meanwhile: it must end now instead
        sub.cancel_at_period_end = True
        sub.cancelled_at = now
        sub.save(update_fields=["cancel_at_period_end", "cancelled_at", "updated_at"])
        lifecycle.record(sub, Kind.CANCEL_REQUESTED, now=now, actor=acting_user)
    notifications.cancellation_confirmed(subscription_id=sub.pk)
    return sub


def subscription_resume(
    *, subscription: Subscription, acting_user: User | None, now: datetime
) -> Subscription:
    """Undo a cancellation before the period ends: renewal goes on as before."""
    sub = _read_before_call(subscription)
    _check_resumable(sub, now=now)
    get_provider(sub.provider).set_cancel_at_period_end(
        subscription_ref=sub.provider_ref, cancel=False
    )
    return _resume_record(subscription=sub, acting_user=acting_user, now=now)


def _check_resumable(sub: Subscription, *, now: datetime) -> None:
    if not (
        sub.cancel_at_period_end
        and sub.status in (Status.TRIALING, Status.ACTIVE)
        and now < sub.current_period_end
    ):
        raise SubscriptionNotResumable


@transaction.atomic(durable=True)
def _resume_record(
    *, subscription: Subscription, acting_user: User | None, now: datetime
) -> Subscription:
    sub = _locked(subscription)
    _check_resumable(sub, now=now)  # resumed (or ended) meanwhile: refused
    sub.cancel_at_period_end = False
    sub.cancelled_at = None
    sub.save(update_fields=["cancel_at_period_end", "cancelled_at", "updated_at"])
    lifecycle.record(sub, Kind.RESUMED, now=now, actor=acting_user)
    return sub


# Ending for a deleted account ------------------------------------------------------


def subscription_end_for_deleted_user(*, user: User, now: datetime) -> None:
    """End the person's live subscription at once: their account is going away.

    Connected to ``accounts.signals.user_deleting`` (which runs outside any
    transaction); safe to run twice.
    """
    for sub in _live_subscriptions(user=user):
        get_provider(sub.provider).cancel_now(subscription_ref=sub.provider_ref)
        _end_record(subscription=sub, now=now)


@transaction.atomic(durable=True)
def _live_subscriptions(*, user: User) -> list[Subscription]:
    return list(Subscription.objects.filter(user=user, status__in=Subscription.LIVE))


@transaction.atomic(durable=True)
def _end_record(*, subscription: Subscription, now: datetime) -> None:
    sub = _locked(subscription)
    if not sub.is_live:
        return  # ended meanwhile
    event = lifecycle.transition(
        sub, Kind.CANCELED, now=now, data={"reason": "account_deleted"}
    )
    sub.cancelled_at = sub.cancelled_at or now
    sub.save(update_fields=[*TRANSITION_FIELDS, "cancelled_at"])
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
    plan.save(force_insert=True)
    return plan
