"""Statements as the studio reads them, and rebuilt from billing's ledger."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from ondas.analytics.models import Statement
from ondas.billing.models import PayableEntry
from ondas.billing.money import to_decimal
from ondas.catalog.models import Audiobook, Show


@dataclass(frozen=True)
class StatementRow:
    """One payee's closed month: counts and money, never who listened."""

    month: date
    currency: str
    amount_minor: int
    streams: int
    audio_seconds: int
    subscribers: int

    @property
    def minutes(self) -> int:
        return self.audio_seconds // 60


def _row(statement: Statement) -> StatementRow:
    return StatementRow(
        month=statement.period.month,
        currency=statement.currency,
        amount_minor=statement.amount_minor,
        streams=statement.streams,
        audio_seconds=statement.audio_seconds,
        subscribers=statement.subscribers,
    )


def statements_for_show(
    *, show: Show, since: date | None = None, until: date | None = None
) -> list[StatementRow]:
    """The show's statements of closed months, newest first (months inclusive)."""
    rows = Statement.objects.filter(show=show).select_related("period")
    if since is not None:
        rows = rows.filter(period__month__gte=since.replace(day=1))
    if until is not None:
        rows = rows.filter(period__month__lte=until.replace(day=1))
    return [_row(s) for s in rows.order_by("-period__month", "currency")]


def statements_for_book(
    *, book: Audiobook, since: date | None = None, until: date | None = None
) -> list[StatementRow]:
    """The audiobook's statements of closed months, newest first."""
    rows = Statement.objects.filter(audiobook=book).select_related("period")
    if since is not None:
        rows = rows.filter(period__month__gte=since.replace(day=1))
    if until is not None:
        rows = rows.filter(period__month__lte=until.replace(day=1))
    return [_row(s) for s in rows.order_by("-period__month", "currency")]


def statement_from_ledger(
    *, month: date, payee: str, currency: str
) -> StatementRow | None:
    """Rebuild a payee's statement (``payee`` like ``show:12``) from the
    payables alone: the payable of the month not reversed, if there is one."""
    entry = (
        PayableEntry.objects.filter(
            month=month.replace(day=1),
            payee=payee,
            currency=currency,
            kind=PayableEntry.Kind.PAYABLE,
            reversal__isnull=True,
        )
        .order_by("-pk")
        .first()
    )
    if entry is None:
        return None
    return StatementRow(
        month=entry.month,
        currency=entry.currency,
        amount_minor=entry.amount_minor,
        streams=entry.streams,
        audio_seconds=entry.audio_seconds,
        subscribers=entry.subscribers,
    )


def statements_csv(rows: list[StatementRow]) -> str:
    """The statements as CSV, one line each, amounts in major units."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("month"),
            _("premium streams"),
            _("minutes"),
            _("subscribers"),
            _("amount"),
            _("currency"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                f"{row.month:%Y-%m}",
                row.streams,
                row.minutes,
                row.subscribers,
                str(to_decimal(row.amount_minor, row.currency)),
                row.currency,
            ]
        )
    return out.getvalue()
