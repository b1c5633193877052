from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ondas.ops.storage import StorageMigrateError, storage_migrate

BAR = 30
MIB = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Move audio files to another storage (local or s3), verifying each "
        "copy's size and SHA-256 before its row is switched; resumable."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, choices=["s3", "local"])
        parser.add_argument(
            "--delete-source",
            action="store_true",
            help="delete each source file once its row points at the verified copy",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = storage_migrate(
                to=options["to"],
                delete_source=options["delete_source"],
                progress=self._progress,
            )
        except StorageMigrateError as exc:
            raise CommandError(str(exc)) from None
        if self.stdout.isatty():
            self.stdout.write("")
        self.stdout.write(
            f"{report.moved} of {report.total} files moved to {options['to']} "
            f"({report.bytes_moved / MIB:.1f} MiB), {report.deleted} source "
            f"files deleted, {len(report.failed)} failed."
        )
        for failure in report.failed:
            self.stderr.write(failure)
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} files were not moved; run again once fixed."
            )

    def _progress(self, done: int, total: int, moved_bytes: int, name: str) -> None:
        filled = BAR * done // total if total else BAR
        line = (
            f"[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total} files, "
            f"{moved_bytes / MIB:.1f} MiB  {name}"
        )
        # Redrawn in place on a terminal, a line each otherwise (logs, tests).
        if self.stdout.isatty():
            self.stdout.write(f"\r\033[K{line}", ending="")
        else:
            self.stdout.write(line)
        self.stdout.flush()
