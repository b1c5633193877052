"""`ondas feeds import URL`: create a show from an RSS or Atom feed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ondas.core.errors import OndasError
from ondas.ingest.services.imports import feed_source_import


class Command(BaseCommand):
    help = "Import a show from an RSS or Atom feed URL and keep it refreshed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument(
            "--owner-email",
            default="",
            help="the owner's address, to import a feed marked podcast:locked",
        )
        parser.add_argument(
            "--interval", type=int, default=None, help="minutes between refreshes"
        )

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        self.stderr.write(f"\r[{bar}] {done}/{total} episodes", ending="")
        if done == total:
            self.stderr.write("")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stderr.write(f"Fetching {options['url']} …")
        try:
            source = feed_source_import(
                url=options["url"],
                owner_email=options["owner_email"],
                refresh_interval_minutes=options["interval"],
                on_progress=self._progress,
            )
        except OndasError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        count = source.show.episodes.count()
        self.stdout.write(
            f"Imported “{source.show.title}” ({source.show.slug}): {count} episodes; "
            f"feed #{source.pk} refreshes every {source.refresh_interval_minutes} min."
        )
