from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ondas.catalog.models import Episode
from ondas.core.errors import OndasError
from ondas.search import transcribe
from ondas.search.errors import TranscribeAlreadyDone
from ondas.search.tasks import episode_transcribe_task

BAR = 30


class Command(BaseCommand):
    help = (
        "Transcribe episodes' English audio into their WebVTT transcripts "
        "(the transcribe extra)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("episode_ids", nargs="*", type=int, metavar="EPISODE_ID")
        parser.add_argument(
            "--all",
            action="store_true",
            help="every episode of an English show with audio and no transcript",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="transcribe episodes that have a transcript too, replacing it",
        )
        parser.add_argument(
            "--force-language",
            action="store_true",
            help="transcribe an episode of a non-English show as English",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="hand the episodes to the worker (`ondas worker`) instead",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[int] = options["episode_ids"]
        if bool(ids) == bool(options["all"]):
            raise CommandError("Name episode ids or --all (not both).", returncode=2)
        if not transcribe.installed():
            raise CommandError(
                "Transcription needs the optional packages: "
                "pip install 'ondas[transcribe]'",
                returncode=2,
            )
        if options["all"]:
            ids = transcribe.episodes_to_transcribe(replace=options["replace"])
        missing = set(ids) - set(
            Episode.objects.filter(pk__in=ids).values_list("pk", flat=True)
        )
        if missing:
            raise CommandError(
                f"No episode with id {', '.join(map(str, sorted(missing)))}.",
                returncode=2,
            )
        if options["queue"]:
            for pk in ids:
                episode_transcribe_task.enqueue(
                    episode_id=pk,
                    replace=options["replace"],
                    force_language=options["force_language"],
                )
            self.stdout.write(f"{len(ids)} episodes queued for the worker.")
            return
        done = skipped = failed = 0
        for pk in ids:
            episode = Episode.objects.select_related("show", "audio").get(pk=pk)
            started = time.monotonic()
            try:
                transcript = transcribe.episode_transcribe(
                    episode=episode,
                    replace=options["replace"],
                    force_language=options["force_language"],
                    progress=self._bar(f"#{pk} {episode.title[:40]}"),
                )
            except TranscribeAlreadyDone as exc:
                skipped += 1
                self.stderr.write(exc.message)
                continue
            except OndasError as exc:
                failed += 1
                self.stderr.write(exc.message)
                continue
            done += 1
            self.stdout.write("")
            self.stdout.write(
                f"Episode {pk}: transcript {transcript.pk} saved "
                f"({time.monotonic() - started:.1f} s)."
            )
        self.stdout.write(
            f"{done} transcribed, {skipped} skipped (already transcribed), "
            f"{failed} failed."
        )
        if failed:
            raise CommandError(f"{failed} episodes were not transcribed.")

    def _bar(self, label: str) -> transcribe.Progress:
        """A bar of audio seconds done, redrawn in place on a terminal and
        a line at each tenth otherwise."""
        shown = [-1]

        def progress(done: float, total: float) -> None:
            share = done / total if total > 0 else 1.0
            filled = round(share * BAR)
            line = (
                f"{label} [{'#' * filled}{'.' * (BAR - filled)}] "
                f"{done:.0f}/{total:.0f} s"
            )
            if self.stdout.isatty():
                self.stdout.write(f"\r\033[K{line}", ending="")
                self.stdout.flush()
            elif int(share * 10) > shown[0]:
                shown[0] = int(share * 10)
                self.stdout.write(line)

        return progress
