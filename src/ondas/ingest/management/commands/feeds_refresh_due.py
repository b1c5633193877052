"""`ondas manage feeds_refresh_due`: for cron or a systemd timer, every minute or so.

Claims every feed whose refresh time has come and queues its refresh for
`ondas worker`; with ``--inline`` refreshes them in this process instead. First
fails the imports from the import page that never finished (their worker died).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ondas.core import clock
from ondas.ingest.models import FeedSource
from ondas.ingest.services.import_requests import feed_imports_expire
from ondas.ingest.services.refresh import (
    feed_source_claim_due,
    feed_source_refresh,
    feed_source_refresh_task,
)


class Command(BaseCommand):
    help = "Queue (or run, with --inline) the refresh of every feed that is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100)
        parser.add_argument(
            "--inline", action="store_true", help="refresh here, without the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = feed_imports_expire(now=clock.now())
        if expired:
            self.stdout.write(f"{expired} import(s) stopped without finishing.")
        claimed = feed_source_claim_due(limit=options["limit"])
        for source_id in claimed:
            if options["inline"]:
                source = FeedSource.objects.get(pk=source_id)
                row = feed_source_refresh(source=source)
                self.stdout.write(f"#{source_id}: {row.outcome} {row.reason}".rstrip())
            else:
                feed_source_refresh_task.enqueue(source_id=source_id)
        if not options["inline"]:
            self.stdout.write(f"{len(claimed)} feed(s) queued for refresh.")
