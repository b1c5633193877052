"""`ondas books import DIR [--owner EMAIL]`: audiobooks from a directory on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ondas.core.errors import OndasError
from ondas.studio.selectors import user_by_email
from ondas.studio.services.books_import import books_import


class Command(BaseCommand):
    help = (
        "Import audiobooks from DIR: one book per directory, a part per audio "
        "file in natural order, titles and names from the tags. Safe to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="a directory of audio files")
        parser.add_argument(
            "--owner", metavar="EMAIL", help="make this account the books' owner"
        )
        parser.add_argument(
            "--language",
            default="en",
            help="the books' language when their tags name none (BCP 47; en)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["directory"]).expanduser()
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory.")
        owner = None
        if options["owner"]:
            owner = user_by_email(email=options["owner"])
            if owner is None:
                raise CommandError(f"No account has the address {options['owner']}.")
        try:
            report = books_import(
                root=root,
                owner=owner,
                language=options["language"],
                progress=self._progress,
            )
        except OndasError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write("")
        for path, reason in report.skipped:
            self.stdout.write(f"Skipped {path}: {reason}")
        for book in report.books_created:
            self.stdout.write(f"Created “{book.title}” ({book.slug}).")
        for book in report.books_unchanged:
            self.stdout.write(f"Unchanged: “{book.title}” ({book.slug}).")
        self.stdout.write(
            f"{len(report.books_created)} books created, "
            f"{report.parts_added} parts added, {len(report.skipped)} files skipped."
        )

    def _progress(self, done: int, total: int, path: Path) -> None:
        # A counter line redrawn in place on a terminal, a line each otherwise.
        line = f"[{done}/{total}] {path.name}"
        if self.stdout.isatty():
            self.stdout.write(f"\r\033[K{line}", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(line)
