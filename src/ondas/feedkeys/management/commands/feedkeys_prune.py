"""`feedkeys_prune`: forget private-feed uses and revoked keys past keeping.

`ondas billing run` runs it after the billing work, so the one periodic job
operators already have (cron or the systemd timer) keeps both.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ondas.core.commands import now_option
from ondas.feedkeys.services import FEED_KEY_USE_DAYS_KEPT, feed_key_uses_prune


class Command(BaseCommand):
    help = (
        f"Forget private-feed uses older than {FEED_KEY_USE_DAYS_KEPT} days, and "
        "keys revoked as long ago."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="act as if it were this ISO 8601 time")

    def handle(self, *args: Any, **options: Any) -> None:
        now = now_option(options["now"])
        pruned = feed_key_uses_prune(now=now)
        self.stdout.write(f"forgot {pruned} private feed use(s) and key(s)")
