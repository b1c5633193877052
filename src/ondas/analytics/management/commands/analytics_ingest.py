"""`ondas analytics ingest FILE|-`: read a delivery log (nginx's or ondas serve's)."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ondas.analytics.ingest import log_ingest
from ondas.analytics.tasks import analytics_serve_logs_ingest


class Command(BaseCommand):
    help = "Count IAB downloads from a JSON delivery log (FILE, or - for stdin)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", help="the log; - reads stdin")
        parser.add_argument(
            "--serve-logs",
            action="store_true",
            help="ingest ondas serve's own logs under ONDAS_DATA_DIR",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["serve_logs"]:
            reports = analytics_serve_logs_ingest()
        elif options["file"] == "-":
            reports = [log_ingest(stream=sys.stdin.buffer, name="-")]
        elif options["file"]:
            try:
                with open(options["file"], "rb") as stream:
                    reports = [log_ingest(stream=stream, name=options["file"])]
            except OSError as exc:
                raise CommandError(f"{options['file']}: {exc.strerror}") from None
        else:
            raise CommandError("name a FILE, - for stdin, or --serve-logs")
        for report in reports:
            self.stdout.write(
                f"{report.name}: {report.lines} new line(s), "
                f"{report.downloads} download(s), "
                f"{report.malformed} malformed"
                + (
                    f" (first at line {report.malformed_at})"
                    if report.malformed
                    else ""
                )
                + (f", {report.already} read before" if report.already else "")
            )
            for reason, count in sorted(report.skipped.items()):
                self.stdout.write(f"  not counted, {reason}: {count}")
