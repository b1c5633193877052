"""The ledger: money that moved, written once per idempotency key."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from ondas.billing import notifications
from ondas.billing.models import LedgerEntry, Subscription


def ledger_record_charge(
    *,
    sub: Subscription,
    period_start: datetime,
    period_stop: datetime,
    provider_ref: str,
    now: datetime,
    amount_minor: int | None = None,
    currency: str | None = None,
) -> LedgerEntry:
    """Write the period's charge once; a repeat returns the row already there.

    The amount defaults to the plan's price; a provider that invoiced another
    amount (tax, a coupon) passes what it actually collected.
    """
    key = f"charge:sub{sub.pk}:{period_start.isoformat()}"
    existing = LedgerEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                kind=LedgerEntry.Kind.CHARGE,
                amount_minor=sub.plan.price_minor
                if amount_minor is None
                else amount_minor,
                currency=currency or sub.plan.currency,
                idempotency_key=key,
                user=sub.user,
                subscription=sub,
                period_start=period_start,
                period_end=period_stop,
                provider=sub.provider,
                provider_ref=provider_ref,
                description=sub.plan.name,
                created_at=now,
            )
    except IntegrityError:  # a concurrent writer got there first
        return LedgerEntry.objects.get(idempotency_key=key)
    notifications.receipt(entry_id=entry.pk)
    return entry


@transaction.atomic
def ledger_record_refund(
    *,
    charge: LedgerEntry,
    amount_minor: int,
    provider_ref: str,
    key: str,
    now: datetime,
) -> LedgerEntry:
    """Refund part or all of a charge, once per ``key``; never more than was charged."""
    existing = LedgerEntry.objects.filter(idempotency_key=f"refund:{key}").first()
    if existing is not None:
        return existing
    charge = LedgerEntry.objects.select_for_update().get(pk=charge.pk)
    refunded = sum(r.amount_minor for r in charge.refunds.all())
    if amount_minor <= 0 or refunded + amount_minor > charge.amount_minor:
        raise ValueError("refund exceeds what is left of the charge")
    return LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.REFUND,
        amount_minor=amount_minor,
        currency=charge.currency,
        idempotency_key=f"refund:{key}",
        user=charge.user,
        subscription=charge.subscription,
        refund_of=charge,
        provider=charge.provider,
        provider_ref=provider_ref,
        description=charge.description,
        created_at=now,
    )
