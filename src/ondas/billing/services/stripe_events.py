"""Apply Stripe's webhook events to Ondas's subscriptions and ledger.

Stripe may deliver an event twice, late, or out of order. Each event is
applied at most once (``ProcessedWebhook``); a subscription event older than
the newest one applied is skipped (``provider_synced_at``); money goes through
the ledger's idempotency keys, so a charge for a period is written once.

Nothing here calls Stripe: the signature is checked locally, and each event is
applied in one durable transaction (a caller's transaction is refused).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from ondas.accounts.models import User
from ondas.billing import lifecycle
from ondas.billing.errors import InvalidTransition, WebhookSignatureInvalid
from ondas.billing.models import (
    LedgerEntry,
    Plan,
    ProcessedWebhook,
    Subscription,
    SubscriptionEvent,
    TrialClaim,
)
from ondas.billing.providers.stripe import verify_webhook
from ondas.billing.services.ledger import ledger_record_charge, ledger_record_refund
from ondas.billing.services.subscriptions import TRANSITION_FIELDS
from ondas.core.digests import keyed_digest

logger = logging.getLogger(__name__)

Status = Subscription.Status
Kind = SubscriptionEvent.Kind

# Stripe's subscription statuses, as Ondas's.
STATUS_MAP = {
    "trialing": Status.TRIALING,
    "active": Status.ACTIVE,
    "past_due": Status.PAST_DUE,
    "unpaid": Status.PAST_DUE,
    "canceled": Status.CANCELED,
    "incomplete_expired": Status.EXPIRED,
}
# How to get from one status to another, as lifecycle events.
PATHS: dict[tuple[str, str], str] = {
    (Status.TRIALING, Status.ACTIVE): Kind.TRIAL_CONVERTED,
    (Status.ACTIVE, Status.ACTIVE): Kind.RENEWED,
    (Status.TRIALING, Status.PAST_DUE): Kind.PAYMENT_FAILED,
    (Status.ACTIVE, Status.PAST_DUE): Kind.PAYMENT_FAILED,
    (Status.PAST_DUE, Status.ACTIVE): Kind.PAYMENT_RECOVERED,
    (Status.PAST_DUE, Status.EXPIRED): Kind.EXPIRED,
    (Status.TRIALING, Status.CANCELED): Kind.CANCELED,
    (Status.ACTIVE, Status.CANCELED): Kind.CANCELED,
    (Status.PAST_DUE, Status.CANCELED): Kind.CANCELED,
}


def _ts(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def _period(obj: dict[str, Any]) -> tuple[datetime, datetime]:
    # Newer API versions keep the period on the subscription's items.
    if "current_period_start" in obj:
        return _ts(obj["current_period_start"]), _ts(obj["current_period_end"])
    item = obj["items"]["data"][0]
    return _ts(item["current_period_start"]), _ts(item["current_period_end"])


def stripe_webhook_receive(*, payload: bytes, signature: str, now: datetime) -> str:
    """Verify and apply one webhook delivery; return what was done (for logs)."""
    try:
        verify_webhook(
            payload=payload,
            signature=signature,
            secret=settings.ONDAS_STRIPE_WEBHOOK_SECRET,
        )
    except stripe.SignatureVerificationError:
        raise WebhookSignatureInvalid from None
    event = json.loads(payload)
    try:
        with transaction.atomic(durable=True):
            ProcessedWebhook.objects.create(
                provider="stripe",
                event_id=event["id"],
                event_type=event["type"],
                received_at=now,
            )
            outcome = _dispatch(event, now=now)
    except IntegrityError:
        return "duplicate"
    logger.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return outcome


def _dispatch(event: dict[str, Any], *, now: datetime) -> str:
    kind = event["type"]
    obj = event["data"]["object"]
    created = _ts(event["created"])
    if kind.startswith("customer.subscription."):
        return _sync_subscription(obj, created=created, now=now)
    if kind == "invoice.paid":
        return _invoice_paid(obj, now=now)
    if kind == "invoice.payment_failed":
        return _invoice_failed(obj, created=created, now=now)
    if kind == "charge.refunded":
        return _charge_refunded(obj, now=now)
    return "ignored"


def stripe_subscription_locked(ref: str) -> Subscription | None:
    """The mirror of Stripe's subscription ``ref``, locked; None if there is none."""
    return (
        Subscription.objects.select_for_update()
        .select_related("plan", "user")
        .filter(provider="stripe", provider_ref=ref)
        .first()
    )


def stripe_subscription_mirror(
    obj: dict[str, Any], *, now: datetime
) -> Subscription | None:
    """Create the mirror of a new Stripe subscription, from its Ondas metadata."""
    meta = obj.get("metadata") or {}
    user = User.objects.filter(pk=meta.get("ondas_user") or 0).first()
    plan = Plan.objects.filter(slug=meta.get("ondas_plan") or "").first()
    if user is None or plan is None:
        logger.warning("Stripe subscription %s names no Ondas user or plan", obj["id"])
        return None
    start, end = _period(obj)
    trialing = obj["status"] == "trialing"
    sub = Subscription(
        user=user,
        plan=plan,
        current_period_start=start,
        current_period_end=end,
        trial_end=_ts(obj["trial_end"]) if obj.get("trial_end") else None,
        provider="stripe",
        provider_ref=obj["id"],
        provider_customer_ref=str(obj.get("customer") or ""),
    )
    event = lifecycle.transition(
        sub, Kind.STARTED, now=now, born_active=not trialing, data={"stripe": obj["id"]}
    )
    sub.save(force_insert=True)
    event.save()
    if trialing:
        TrialClaim.objects.get_or_create(
            email_digest=keyed_digest(user.email.strip().lower()),
            defaults={"subscription": sub, "claimed_at": now},
        )
    return sub


def _sync_subscription(obj: dict[str, Any], *, created: datetime, now: datetime) -> str:
    sub = stripe_subscription_locked(obj["id"])
    if sub is None:
        if obj["status"] not in ("trialing", "active"):
            return "unknown subscription"
        sub = stripe_subscription_mirror(obj, now=now)
        if sub is None:
            return "unmatched"
    if sub.provider_synced_at and created < sub.provider_synced_at:
        return "stale"
    target = STATUS_MAP.get(obj["status"])
    if target is not None and target != sub.status:
        kind = PATHS.get((sub.status, target))
        if kind is None:
            logger.warning(
                "Stripe moves subscription %s from %s to %s: no such path",
                sub.pk,
                sub.status,
                target,
            )
        else:
            try:
                lifecycle.transition(
                    sub, kind, now=now, data={"stripe": obj["id"]}
                ).save()
            except InvalidTransition:
                logger.warning("Refused Stripe transition for %s", sub.pk)
    if sub.is_live:
        sub.current_period_start, sub.current_period_end = _period(obj)
    sub.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    sub.provider_synced_at = created
    sub.save(
        update_fields=[
            *TRANSITION_FIELDS,
            "current_period_start",
            "current_period_end",
            "cancel_at_period_end",
            "provider_synced_at",
        ]
    )
    return f"synced {sub.status}"


def _invoice_subscription_ref(obj: dict[str, Any]) -> str:
    ref = obj.get("subscription")
    if not ref:  # newer API versions nest it under parent
        ref = (
            (obj.get("parent") or {})
            .get("subscription_details", {})
            .get("subscription")
        )
    return str(ref or "")


def _invoice_paid(obj: dict[str, Any], *, now: datetime) -> str:
    if not obj.get("amount_paid"):
        return "nothing paid"  # e.g. the zero invoice that opens a trial
    sub = stripe_subscription_locked(_invoice_subscription_ref(obj))
    if sub is None:
        return "unknown subscription"
    line = obj["lines"]["data"][0]["period"]
    ledger_record_charge(
        sub=sub,
        period_start=_ts(line["start"]),
        period_stop=_ts(line["end"]),
        provider_ref=str(obj["id"]),
        now=now,
        amount_minor=int(obj["amount_paid"]),
        currency=str(obj["currency"]).upper(),
    )
    return "charge recorded"


def _invoice_failed(obj: dict[str, Any], *, created: datetime, now: datetime) -> str:
    sub = stripe_subscription_locked(_invoice_subscription_ref(obj))
    if sub is None:
        return "unknown subscription"
    if sub.status in (Status.TRIALING, Status.ACTIVE):
        lifecycle.transition(
            sub, Kind.PAYMENT_FAILED, now=now, data={"invoice": obj["id"]}
        ).save()
    retry = obj.get("next_payment_attempt")
    sub.next_retry_at = _ts(retry) if retry else None
    sub.save(update_fields=TRANSITION_FIELDS)
    return "payment failed"


def _charge_refunded(obj: dict[str, Any], *, now: datetime) -> str:
    invoice = str(obj.get("invoice") or "")
    charge = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.CHARGE, provider="stripe", provider_ref=invoice
    ).first()
    if charge is None:
        return "unknown charge"
    already = sum(r.amount_minor for r in charge.refunds.all())
    delta = int(obj["amount_refunded"]) - already
    if delta <= 0:
        return "nothing new"
    ledger_record_refund(
        charge=charge,
        amount_minor=delta,
        provider_ref=str(obj["id"]),
        key=f"stripe:{obj['id']}:{obj['amount_refunded']}",
        now=now,
    )
    return "refund recorded"
