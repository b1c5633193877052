from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ondas.search.services import search_reindex


class Command(BaseCommand):
    help = "Rebuild the search index from the catalog."

    def handle(self, *args: Any, **options: Any) -> None:
        count = search_reindex(progress=self._progress)
        self.stdout.write("")
        self.stdout.write(f"{count} documents indexed.")

    def _progress(self, done: int, total: int) -> None:
        # A counter line redrawn in place on a terminal, a line each otherwise.
        line = f"[{done}/{total}] shows and audiobooks"
        if self.stdout.isatty():
            self.stdout.write(f"\r\033[K{line}", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(line)
