"""The payables ledger: what a closed payout period owes each payee.

Rows are written once per idempotency key and never changed. A key names the
period, the close it belongs to and the payee: ``payout:2026-11:show:12`` for
a period's first close (then the currency: ``...:show:12:MXN``), and
``payout:2026-11:r1:show:12:MXN`` for the close after one reopening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction

from ondas.billing.models import PayableEntry


@dataclass(frozen=True)
class Payable:
    """One payee's line of a period, as the payout close computed it."""

    payee: str
    currency: str
    amount_minor: int
    streams: int
    audio_seconds: int
    subscribers: int


def payable_key(*, month: date, generation: int, payee: str, currency: str) -> str:
    """The idempotency key of a payee's payable for one close of a period."""
    close = "" if generation == 0 else f"r{generation}:"
    # A payee heard by subscribers paying in two currencies has two lines.
    return f"payout:{month:%Y-%m}:{close}{payee}:{currency}"


def payables_record(
    *, month: date, generation: int, payables: list[Payable], now: datetime
) -> list[PayableEntry]:
    """Write each payable once; rows already there (a retried close) are kept.

    Call inside the caller's transaction: the whole close lands or none of it.
    """
    rows = [
        PayableEntry(
            kind=PayableEntry.Kind.PAYABLE,
            month=month,
            payee=p.payee,
            amount_minor=p.amount_minor,
            currency=p.currency,
            streams=p.streams,
            audio_seconds=p.audio_seconds,
            subscribers=p.subscribers,
            idempotency_key=payable_key(
                month=month, generation=generation, payee=p.payee, currency=p.currency
            ),
            created_at=now,
        )
        for p in payables
    ]
    keys = [row.idempotency_key for row in rows]
    existing = set(
        PayableEntry.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    fresh = [row for row in rows if row.idempotency_key not in existing]
    try:
        with transaction.atomic():
            PayableEntry.objects.bulk_create(fresh, batch_size=1000)
    except IntegrityError:  # a concurrent close wrote them first
        pass
    return list(PayableEntry.objects.filter(idempotency_key__in=keys))


def payables_reverse(*, month: date, now: datetime) -> int:
    """Write a reversal of every payable of ``month`` not reversed yet.

    Returns how many reversals were written (none when run again).
    """
    open_rows = PayableEntry.objects.filter(
        month=month, kind=PayableEntry.Kind.PAYABLE, reversal__isnull=True
    )
    reversals = [
        PayableEntry(
            kind=PayableEntry.Kind.REVERSAL,
            month=month,
            payee=row.payee,
            amount_minor=row.amount_minor,
            currency=row.currency,
            streams=row.streams,
            audio_seconds=row.audio_seconds,
            subscribers=row.subscribers,
            idempotency_key=f"{row.idempotency_key}:reversal",
            reverses=row,
            created_at=now,
        )
        for row in open_rows
    ]
    PayableEntry.objects.bulk_create(reversals, batch_size=1000)
    return len(reversals)
