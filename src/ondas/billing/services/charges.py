"""Charging: ask the provider first, outside any transaction; then record.

A provider call is a network round trip, seconds long when a gateway is slow.
Made inside a transaction it would hold the subscription's row lock (and on
SQLite the whole database's write lock) for that long, and a rollback after it
would forget money that had moved. So every charge takes three steps:

1. plan it from a read of the subscription (``ChargeRequest``): period,
   attempt number and idempotency key, all derived from stable facts;
2. ask the provider with that key (``charge_collect``), no transaction open;
   the same key never collects twice, so asking again after a crash, a
   timeout or a competing billing run is safe;
3. in the caller's short transaction, re-read the row under
   ``select_for_update``, re-check it, and write the answer (``charge_record``):
   the attempt once per key, the ledger once per period.

When the provider gives no answer (``ProviderError``) the attempt is written
as failed with reason ``OUTCOME_UNKNOWN`` and the subscription is left as it
was; the next try for that period asks again with the same key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from ondas.billing.models import PaymentAttempt, Subscription
from ondas.billing.providers import ChargeResult, get_provider
from ondas.billing.services.ledger import ledger_record_charge

logger = logging.getLogger(__name__)

# The failure reason of an attempt the provider did not answer.
OUTCOME_UNKNOWN = "provider_error"


@dataclass(frozen=True)
class ChargeRequest:
    """One charge as planned before the provider is asked."""

    period_start: datetime
    period_stop: datetime
    number: int
    key: str
    amount_minor: int
    currency: str
    description: str


def charge_request(
    sub: Subscription,
    *,
    period_start: datetime,
    period_stop: datetime,
    number: int,
    key: str,
) -> ChargeRequest:
    """Plan a charge of the subscription's price for one period."""
    return ChargeRequest(
        period_start=period_start,
        period_stop=period_stop,
        number=number,
        key=key,
        amount_minor=sub.plan.price_minor,
        currency=sub.plan.currency,
        description=f"{sub.plan.name} {period_start:%Y-%m-%d}",
    )


def charge_collect(
    *, provider: str, payment_method_ref: str, request: ChargeRequest
) -> ChargeResult:
    """Ask the provider for the money. Call with no transaction open.

    Raises ProviderError when the provider gave no answer.
    """
    return get_provider(provider).charge(
        payment_method_ref=payment_method_ref,
        amount_minor=request.amount_minor,
        currency=request.currency,
        idempotency_key=request.key,
        description=request.description,
    )


def charge_record(
    sub: Subscription,
    *,
    request: ChargeRequest,
    result: ChargeResult | None,
    now: datetime,
) -> PaymentAttempt:
    """Write the provider's answer (None: no answer) once per key; call under lock.

    A row already there for the key is kept, unless its outcome was unknown and
    there is an answer now. A success writes the period's ledger charge, which
    is itself written once per period.
    """
    attempt = PaymentAttempt.objects.filter(idempotency_key=request.key).first()
    if attempt is None:
        attempt = PaymentAttempt.objects.create(
            subscription=sub,
            period_start=request.period_start,
            number=request.number,
            amount_minor=request.amount_minor,
            currency=request.currency,
            status=_status(result),
            idempotency_key=request.key,
            provider_ref=result.provider_ref if result else "",
            failure_reason=result.failure_reason if result else OUTCOME_UNKNOWN,
            created_at=now,
        )
    elif attempt.failure_reason == OUTCOME_UNKNOWN and result is not None:
        attempt.status = _status(result)
        attempt.provider_ref = result.provider_ref
        attempt.failure_reason = result.failure_reason
        attempt.save(update_fields=["status", "provider_ref", "failure_reason"])
    if attempt.status == PaymentAttempt.Status.SUCCEEDED:
        entry = ledger_record_charge(
            sub=sub,
            period_start=request.period_start,
            period_stop=request.period_stop,
            provider_ref=attempt.provider_ref,
            now=now,
        )
        if entry.provider_ref != attempt.provider_ref:
            # Paid another way meanwhile (an operator recorded a transfer).
            logger.warning(
                "Subscription %s: attempt %s collected a period already paid "
                "(%s); a refund may be due",
                sub.pk,
                attempt.pk,
                entry.provider_ref,
            )
    return attempt


def _status(result: ChargeResult | None) -> str:
    if result is not None and result.ok:
        return PaymentAttempt.Status.SUCCEEDED
    return PaymentAttempt.Status.FAILED


def attempt_unanswered(sub: Subscription) -> PaymentAttempt | None:
    """The attempt for the period now due whose outcome is unknown, if any.

    The period due starts at the current period's end, or later when whole
    periods were missed; attempts for earlier periods no longer count.
    """
    return (
        sub.attempts.filter(
            period_start__gte=sub.current_period_end, failure_reason=OUTCOME_UNKNOWN
        )
        .order_by("-pk")
        .first()
    )
