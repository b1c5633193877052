"""The studio's chapter editor: rows as typed, checked, then stored in order.

A row's start is typed as a clock time ("1:02:03", "62:03") or plain seconds
("3723"), read by ``core.timefmt.parse_clock``. Every problem is reported at
once, by row (the row's index in the input, from 0), so the editor can mark
each one; nothing is stored until every row is right. Stored chapters are
sorted by start, whatever order the rows came in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ondas.catalog.chapters import MAX_TITLE, ChapterInput, chapters_from_description
from ondas.catalog.errors import ChaptersRejected, EpisodeStateInvalid
from ondas.catalog.models import Chapter, Episode
from ondas.catalog.sanitize import clean_url
from ondas.catalog.services import episode_chapters_replace
from ondas.catalog.services.authored import (
    episode_managed_fields,
    managed_fields_refuse,
)
from ondas.core.timefmt import format_clock, parse_clock

# How many chapters an episode may have, unless settings say otherwise.
MAX_CHAPTERS = 500


@dataclass(frozen=True)
class ChapterRow:
    """One row of the editor, as typed."""

    start: str
    title: str
    url: str = ""

    @property
    def blank(self) -> bool:
        return not (self.start.strip() or self.title.strip() or self.url.strip())


def _max_chapters() -> int:
    return int(getattr(settings, "ONDAS_MAX_CHAPTERS", MAX_CHAPTERS))


def chapter_rows_check(
    *, rows: Sequence[ChapterRow], duration_seconds: float
) -> list[ChapterInput]:
    """Return the rows as chapters sorted by start; raise ChaptersRejected
    naming what is wrong with each row. Blank rows are left out.

    ``duration_seconds`` is the audio's length (0: not known, not checked).
    """
    errors: dict[int, list[str]] = {}
    general: list[str] = []
    found: list[tuple[int, ChapterInput]] = []
    for index, row in enumerate(rows):
        if row.blank:
            continue
        problems: list[str] = []
        start: int | None = None
        typed = row.start.strip()
        if not typed:
            problems.append(_("Enter when the chapter starts, such as 1:02:03."))
        else:
            try:
                start = parse_clock(typed)
            except ValueError:
                problems.append(
                    _("“%(text)s” is not a time: write 1:02:03, 62:03 or 3723.")
                    % {"text": typed}
                )
        if start is not None and duration_seconds and start >= duration_seconds:
            problems.append(
                _("%(start)s is past the end of the audio (%(end)s).")
                % {"start": format_clock(start), "end": format_clock(duration_seconds)}
            )
        title = " ".join(row.title.split())
        if not title:
            problems.append(_("Give the chapter a title."))
        elif len(title) > MAX_TITLE:
            problems.append(
                _("A title has at most %(max)s characters.") % {"max": MAX_TITLE}
            )
        url = row.url.strip()
        if url and not clean_url(url, max_length=1000):
            problems.append(_("Enter a web address that starts with https://."))
        if problems:
            errors[index] = problems
        elif start is not None:
            found.append((index, ChapterInput(float(start), title, url=url)))
    by_start: dict[float, list[int]] = {}
    for index, chapter in found:
        by_start.setdefault(chapter.start_seconds, []).append(index)
    for start_seconds, indexes in by_start.items():
        if len(indexes) > 1:
            for index in indexes:
                errors.setdefault(index, []).append(
                    _("Another chapter starts at %(start)s too.")
                    % {"start": format_clock(start_seconds)}
                )
    count = sum(1 for row in rows if not row.blank)
    if count > _max_chapters():
        general.append(
            _("An episode has at most %(max)s chapters.") % {"max": _max_chapters()}
        )
    if errors or general:
        raise ChaptersRejected(errors=dict(sorted(errors.items())), general=general)
    return sorted((c for _i, c in found), key=lambda c: c.start_seconds)


def _duration(episode: Episode) -> float:
    if episode.audio is not None and episode.audio.duration_seconds:
        return episode.audio.duration_seconds
    return episode.duration_seconds


@transaction.atomic
def episode_chapters_edit(
    *, episode: Episode, rows: Sequence[ChapterRow]
) -> list[Chapter]:
    """Replace the episode's chapters with the editor's rows, in start order.

    Raise ChaptersRejected (every row's problems) and store nothing when any
    row is wrong; FieldsManagedByFeed when the show's feed owns the chapters.
    """
    row = (
        Episode.objects.select_for_update(of=("self",))
        .select_related("audio")
        .get(pk=episode.pk)
    )
    if row.status == Episode.Status.DELETED:
        raise EpisodeStateInvalid(
            episode_id=row.pk, status=row.get_status_display(), action="chapters"
        )
    managed_fields_refuse({"chapters"}, episode_managed_fields(episode=row))
    chapters = chapter_rows_check(rows=rows, duration_seconds=_duration(row))
    return episode_chapters_replace(episode=row, chapters=chapters)


def chapter_rows_prefill(*, episode: Episode) -> list[ChapterRow]:
    """The editor's first rows: the chapters the episode has, else those its
    description's timestamps give (as imports read them), else none."""
    existing = list(Chapter.objects.filter(episode=episode).order_by("start_seconds"))
    if existing:
        return [
            ChapterRow(format_clock(c.start_seconds), c.title, c.url) for c in existing
        ]
    found = chapters_from_description(
        episode.description, duration_seconds=_duration(episode)
    )
    return [ChapterRow(format_clock(c.start_seconds), c.title, c.url) for c in found]
