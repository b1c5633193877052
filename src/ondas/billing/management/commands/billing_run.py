"""`ondas billing run`: renew, retry, expire and remind — everything due now.

Run it from cron or a systemd timer every few minutes; running it twice, or
on two nodes at once, charges nothing twice (rows are locked and every
charge has an idempotency key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ondas.billing.services import billing_run
from ondas.core.clock import now as clock_now


class Command(BaseCommand):
    help = "Renew, retry, expire subscriptions and send reminders that are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="act as if it were this ISO 8601 time (for rehearsals)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock_now()
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from None
            if now.tzinfo is None:
                raise CommandError(
                    "--now needs a time zone, e.g. 2026-01-01T00:00+00:00"
                )
        report = billing_run(now=now)
        self.stdout.write(
            f"advanced {report.advanced} subscription(s), "
            f"sent {report.reminders} reminder(s), {len(report.errors)} error(s)"
        )
        for error in report.errors:
            self.stderr.write(error)
        if report.errors:
            raise CommandError("some subscriptions could not be processed")
