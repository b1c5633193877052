"""`ondas feeds refresh [ID …] [--all]`: refresh feeds now, in this process."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ondas.core.errors import OndasError
from ondas.ingest.models import FeedSource
from ondas.ingest.selectors import feed_source_get
from ondas.ingest.services.refresh import feed_source_refresh


class Command(BaseCommand):
    help = "Refresh the given feeds (or all of them) now and print what happened."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="feed source ids")
        parser.add_argument("--all", action="store_true", help="every enabled feed")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            sources = list(FeedSource.objects.filter(enabled=True).order_by("pk"))
        elif options["ids"]:
            try:
                sources = [feed_source_get(source_id=i) for i in options["ids"]]
            except OndasError as exc:
                raise CommandError(exc.message) from None
        else:
            raise CommandError("give feed ids, or --all")
        for source in sources:
            row = feed_source_refresh(source=source, trigger="manual")
            line = (
                f"#{source.pk} {source.url}: {row.outcome}"
                f" (+{row.added} ~{row.updated} missing {row.missing})"
            )
            if row.reason:
                line += f" — {row.reason}: {row.message}"
            self.stdout.write(line)
