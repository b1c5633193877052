"""`ondas payouts close 2026-11`: freeze a month's payouts (statements, payables)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ondas.analytics.payouts.errors import PayoutMonthInvalid, PayoutPeriodNotOver
from ondas.analytics.payouts.services import payout_month_parse, payout_period_close
from ondas.billing.money import format_money
from ondas.core import clock


class Command(BaseCommand):
    help = "Close a month's payouts (YYYY-MM); closing it again changes nothing."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("month", help="the month, as YYYY-MM")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = payout_month_parse(options["month"])
            period = payout_period_close(month=month, now=clock.now())
        except (PayoutMonthInvalid, PayoutPeriodNotOver) as exc:
            raise CommandError(exc.message) from None
        count = period.statements.count()
        self.stdout.write(f"{month:%Y-%m}: closed, {count} statement(s)")
        for currency, pool in sorted(period.pool.items()):
            self.stdout.write(
                f"  {currency}: paid {format_money(pool['net'], currency)}, "
                f"creators' share {format_money(pool['share'], currency)}, "
                f"distributed {format_money(pool['distributed'], currency)}"
                + ("" if pool["fee_known"] else " (before provider fees)")
            )
