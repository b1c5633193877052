"""Closing and reopening a payout period.

A close freezes the month: a ``Statement`` per payee and currency, and the
same lines as payables in billing's ledger (``billing.PayableEntry``), in one
transaction. A closed period is never recomputed: closing it again returns
it as it is, and a refund written after the close counts in the month it was
written in (``billing.selectors.payments_for_period``). Only an admin's
reopening (``payout_period_reopen``) undoes a close, by writing reversals,
and it leaves an audit row.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

from django.db import transaction

from ondas.accounts.models import User
from ondas.analytics.models import PayoutAudit, PayoutPeriod, Statement
from ondas.analytics.payouts.engine import (
    PayoutComputation,
    month_bounds,
    payouts_compute,
)
from ondas.analytics.payouts.errors import (
    PayoutMonthInvalid,
    PayoutPeriodNotClosed,
    PayoutPeriodNotOver,
)
from ondas.billing.services.payables import (
    Payable,
    payable_key,
    payables_record,
    payables_reverse,
)

logger = logging.getLogger(__name__)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def payout_month_parse(value: str) -> date:
    """``"2026-11"`` → the first day of that month; raise PayoutMonthInvalid."""
    match = _MONTH_RE.match(value.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise PayoutMonthInvalid(value=value)
    return date(int(match.group(1)), int(match.group(2)), 1)


def _statements_write(
    period: PayoutPeriod, computation: PayoutComputation, *, now: datetime
) -> None:
    payables = [
        Payable(
            payee=line.key,
            currency=line.currency,
            amount_minor=line.amount_minor,
            streams=line.streams,
            audio_seconds=line.audio_ms // 1000,
            subscribers=line.subscribers,
        )
        for line in computation.lines
    ]
    payables_record(
        month=period.month,
        generation=period.generation,
        payables=payables,
        now=now,
    )
    Statement.objects.bulk_create(
        [
            Statement(
                period=period,
                show_id=line.payee[1] if line.payee[0] == "show" else None,
                audiobook_id=line.payee[1] if line.payee[0] == "book" else None,
                currency=payable.currency,
                amount_minor=payable.amount_minor,
                streams=payable.streams,
                audio_seconds=payable.audio_seconds,
                subscribers=payable.subscribers,
                ledger_key=payable_key(
                    month=period.month,
                    generation=period.generation,
                    payee=payable.payee,
                    currency=payable.currency,
                ),
            )
            for line, payable in zip(computation.lines, payables, strict=True)
        ],
        batch_size=1000,
    )


@transaction.atomic(durable=True)
def payout_period_close(
    *, month: date, now: datetime, acting_user: User | None = None
) -> PayoutPeriod:
    """Freeze the month's payouts; a period closed already is returned unchanged.

    Raises PayoutPeriodNotOver while the month (in TIME_ZONE) has not ended.
    """
    month = month.replace(day=1)
    if now < month_bounds(month)[1]:
        raise PayoutPeriodNotOver(month=f"{month:%Y-%m}")
    PayoutPeriod.objects.get_or_create(month=month)
    period = PayoutPeriod.objects.select_for_update().get(month=month)
    if period.status == PayoutPeriod.Status.CLOSED:
        return period
    computation = payouts_compute(month=month)
    _statements_write(period, computation, now=now)
    period.pool = {cur: pool.as_json() for cur, pool in computation.pools.items()}
    period.status = PayoutPeriod.Status.CLOSED
    period.closed_at = now
    period.save(update_fields=["pool", "status", "closed_at"])
    PayoutAudit.objects.create(
        period=period,
        action=PayoutAudit.Action.CLOSED,
        actor=acting_user,
        at=now,
        data={"generation": period.generation, "pool": period.pool},
    )
    logger.info(
        "Payout period %s closed: %s statement(s)", month, len(computation.lines)
    )
    return period


@transaction.atomic(durable=True)
def payout_period_reopen(
    *, period: PayoutPeriod, acting_user: User, reason: str, now: datetime
) -> PayoutPeriod:
    """Undo a close: reverse its payables, drop its statements, audit it.

    The next close computes the month again and writes new payables under
    keys of the next generation (``payout:2026-11:r1:…``).
    """
    period = PayoutPeriod.objects.select_for_update().get(pk=period.pk)
    if period.status != PayoutPeriod.Status.CLOSED:
        raise PayoutPeriodNotClosed(month=f"{period.month:%Y-%m}")
    statements = period.statements.all()
    held = {
        "statements": statements.count(),
        "amounts": {
            cur: sum(s.amount_minor for s in statements if s.currency == cur)
            for cur in sorted({s.currency for s in statements})
        },
    }
    reversed_count = payables_reverse(month=period.month, now=now)
    statements.delete()
    PayoutAudit.objects.create(
        period=period,
        action=PayoutAudit.Action.REOPENED,
        actor=acting_user,
        at=now,
        data={
            "reason": reason,
            "generation": period.generation,
            "reversals": reversed_count,
            **held,
        },
    )
    period.status = PayoutPeriod.Status.OPEN
    period.generation += 1
    period.closed_at = None
    period.save(update_fields=["status", "generation", "closed_at"])
    logger.info("Payout period %s reopened by user %s", period.month, acting_user.pk)
    return period
