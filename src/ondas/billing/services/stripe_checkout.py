"""Starting a Stripe subscription: save the card, say what it gets, then start.

Stripe tells Ondas which card someone has only once they have entered it,
and each card gets one free trial. So Checkout runs in setup mode: it saves
a card and charges nothing. Back on Ondas, ``stripe_checkout_offer`` reads the
card's fingerprint and says what starting would do: the trial, or, for a card
or an address that has had its trial, a charge today. The subscription is
started only when the person confirms (``subscription_start_stripe``), with
the trial when one is due and the first period paid at once otherwise.

Stripe is asked with no transaction open; what it answered is recorded in a
short durable transaction, which the webhook for the same subscription may
beat (then the mirror it made is completed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from ondas.accounts.models import User
from ondas.billing.errors import ChargeConsentInvalid, TrialRefusal
from ondas.billing.models import Plan, Subscription, TrialClaim
from ondas.billing.providers import PaymentMethod, get_provider
from ondas.billing.providers.stripe import StripeCard, StripeProvider
from ondas.billing.selectors import trial_refusal
from ondas.billing.services.stripe_events import (
    stripe_subscription_locked,
    stripe_subscription_mirror,
)
from ondas.billing.services.subscriptions import (
    start_check,
    trial_unavailable,
)
from ondas.core.digests import keyed_digest

logger = logging.getLogger(__name__)

NO_CARD = PaymentMethod(ref="", label="", fingerprint="")


def _stripe() -> StripeProvider:
    provider = get_provider("stripe")
    assert isinstance(provider, StripeProvider)
    return provider


@dataclass(frozen=True)
class StripeOffer:
    """What starting the plan on the card just saved would do."""

    plan: Plan
    card: StripeCard
    trial_days: int  # the trial it gets; 0: the first period is charged today
    refusal: TrialRefusal | None  # why there is no trial, if the plan has one


def subscription_checkout_url(
    *, user: User, plan: Plan, success_url: str, cancel_url: str
) -> str:
    """Open a Stripe Checkout that saves a card for ``plan``; nothing is charged.

    ``success_url`` should carry ``{CHECKOUT_SESSION_ID}``, which Stripe fills
    in, so the page it leads to can read the card.
    """
    start_check(user=user, plan=plan, payment_method=NO_CARD)  # AlreadySubscribed
    provider = _stripe()
    customer = _customer_ref(user=user) or provider.customer_create(
        email=user.email, user_id=user.pk
    )
    return provider.setup_checkout_url(
        customer_ref=customer,
        user_id=user.pk,
        plan_slug=plan.slug,
        success_url=success_url,
        cancel_url=cancel_url,
    )


@transaction.atomic(durable=True)
def _customer_ref(*, user: User) -> str:
    """The Stripe customer of the person's earlier subscriptions, if any."""
    ref = (
        Subscription.objects.filter(user=user, provider="stripe")
        .exclude(provider_customer_ref="")
        .values_list("provider_customer_ref", flat=True)
        .first()
    )
    return ref or ""


def _card(*, user: User, plan: Plan, session_id: str) -> StripeCard:
    card = _stripe().checkout_card(session_id=session_id)
    if card is None or card.user_id != user.pk or card.plan_slug != plan.slug:
        raise ChargeConsentInvalid()
    return card


def stripe_checkout_offer(*, user: User, plan: Plan, session_id: str) -> StripeOffer:
    """Read the card saved in Checkout session ``session_id`` and say what
    starting ``plan`` on it would do. Writes nothing.

    Raises ChargeConsentInvalid for a session that is not finished, or not
    this person's for this plan, and AlreadySubscribed.
    """
    card = _card(user=user, plan=plan, session_id=session_id)
    with_trial = start_check(user=user, plan=plan, payment_method=card.payment_method)
    refusal = None
    if plan.trial_days and not with_trial:
        fingerprint = card.payment_method.fingerprint
        refusal = trial_refusal(email=user.email, payment_fingerprint=fingerprint)
    return StripeOffer(
        plan=plan,
        card=card,
        trial_days=plan.trial_days if with_trial else 0,
        refusal=refusal,
    )


def subscription_start_stripe(
    *,
    user: User,
    plan: Plan,
    session_id: str,
    accept_charge: bool,
    now: datetime,
) -> Subscription:
    """Start ``plan`` on Stripe with the card saved in Checkout ``session_id``.

    As ``subscription_start``: the trial if this card and this address have not
    had one; otherwise TrialUnavailable, unless ``accept_charge`` says the
    person agreed to pay today, and then the first invoice is paid at once
    (PaymentDeclined if the card is refused). Asking twice starts one
    subscription: Stripe is asked with a key made from the session.
    """
    card = _card(user=user, plan=plan, session_id=session_id)
    with_trial = start_check(user=user, plan=plan, payment_method=card.payment_method)
    if not with_trial and plan.trial_days and not accept_charge:
        raise trial_unavailable(
            user=user, plan=plan, fingerprint=card.payment_method.fingerprint
        )
    obj = _stripe().subscription_create(
        card=card,
        price_id=plan.stripe_price_id,
        trial_days=plan.trial_days if with_trial else 0,
        idempotency_key=f"ondas:start:{session_id}:{'trial' if with_trial else 'paid'}",
    )
    sub = _start_record(obj=obj, card=card, now=now)
    logger.info("Stripe subscription %s started (trial=%s)", sub.pk, with_trial)
    return sub


@transaction.atomic(durable=True)
def _start_record(
    *, obj: dict[str, Any], card: StripeCard, now: datetime
) -> Subscription:
    """Mirror the subscription Stripe started (unless its webhook did already),
    with the card's label and, for a trial, the card's claim on it."""
    sub = stripe_subscription_locked(str(obj["id"]))
    if sub is None:
        sub = stripe_subscription_mirror(obj, now=now)
    if sub is None:  # the metadata Ondas sent names no user or plan
        raise ChargeConsentInvalid()
    method = card.payment_method
    sub.payment_method_ref, sub.payment_method_label = method.ref, method.label
    sub.save(update_fields=["payment_method_ref", "payment_method_label", "updated_at"])
    if sub.trial_end is not None and method.fingerprint:
        digest = keyed_digest(method.fingerprint)
        if TrialClaim.objects.filter(payment_fingerprint_digest=digest).exists():
            logger.error(
                "Stripe subscription %s: its card's trial was taken meanwhile", sub.pk
            )
        else:
            TrialClaim.objects.filter(
                subscription=sub, payment_fingerprint_digest__isnull=True
            ).update(payment_fingerprint_digest=digest)
    return sub
