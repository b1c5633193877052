"""`ondas billing run`: renew, retry, expire and remind — everything due now.

Run it from cron or a systemd timer every few minutes; running it twice, or
on two nodes at once, charges nothing twice (rows are locked and every
charge has an idempotency key).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ondas.billing.services import billing_run
from ondas.core.commands import now_option


class Command(BaseCommand):
    help = "Renew, retry, expire subscriptions and send reminders that are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="act as if it were this ISO 8601 time (for rehearsals)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = now_option(options["now"])
        report = billing_run(now=now)
        self.stdout.write(
            f"advanced {report.advanced} subscription(s), "
            f"sent {report.reminders} reminder(s), {len(report.errors)} error(s)"
        )
        for error in report.errors:
            self.stderr.write(error)
        if report.errors:
            raise CommandError("some subscriptions could not be processed")
