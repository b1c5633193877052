"""Audiobooks a creator edits in the studio, or an operator imports from disk.

A book is one timeline made of its parts in order: each part's
``start_seconds`` is the sum of the durations before it, and the book's
``duration_seconds`` is the sum of all of them. Every service here that adds,
moves or removes a part puts the timeline right again in the same
transaction (``_timeline_rebuild``), so playback and metering, which read those
numbers, never see a gap or an overlap.

A book always has at least one part (``audiobook_create`` asks for one, and
removing the last is refused): a book listeners can find always plays.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from django.core.files import File
from django.db import transaction
from django.utils.text import slugify

from ondas.catalog.errors import BookLastPart
from ondas.catalog.models import Audiobook, AudiobookPart, AudioFile, Episode
from ondas.catalog.sanitize import sanitize_html
from ondas.catalog.services import AudiobookPartInput, audiobook_create
from ondas.core import clock

logger = logging.getLogger(__name__)

Direction = Literal["up", "down"]


@dataclass(frozen=True)
class BookInput:
    """What the studio's book form (or an import) says about a book."""

    title: str
    authors: str
    language: str
    narrators: str = ""
    description: str = ""
    sample_seconds: int = 300
    # Already checked (square RGB JPEG/PNG, 1400-3000 px).
    cover: File[bytes] | None = None
    # Kept from listeners (catalog, API, search) until its makers publish it.
    draft: bool = False


def book_slug_free(title: str) -> str:
    """A slug for a new book called ``title`` that no book has yet."""
    base = slugify(title)[:100] or "book"
    slug, n = base, 2
    while Audiobook.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _locked(book: Audiobook) -> Audiobook:
    return Audiobook.objects.select_for_update(of=("self",)).get(pk=book.pk)


def _timeline_rebuild(book: Audiobook) -> None:
    """Number the parts 1, 2, … in their order and lay them end to end."""
    parts = list(AudiobookPart.objects.filter(audiobook=book).order_by("position"))
    offset = 0.0
    for number, part in enumerate(parts, start=1):
        if part.position != number or part.start_seconds != offset:
            part.position = number
            part.start_seconds = offset
            part.save(update_fields=["position", "start_seconds"])
        offset += part.duration_seconds
    if book.duration_seconds != offset:
        book.duration_seconds = offset
        book.save(update_fields=["duration_seconds", "updated_at"])


def _cover_replace(book: Audiobook, cover: File[bytes]) -> None:
    """Store the new cover through the storage API; drop the old file once the
    change is committed (a rollback keeps the old one in use)."""
    old = book.cover.name if book.cover else ""
    storage = book.cover.storage
    book.cover.save(cover.name or f"{book.slug}.png", cover, save=False)
    book.save(update_fields=["cover", "updated_at"])
    new = book.cover.name
    if old and old != new:
        transaction.on_commit(lambda: storage.delete(old))


@transaction.atomic
def studio_book_create(
    *, data: BookInput, first_part: AudioFile, first_part_title: str = ""
) -> Audiobook:
    """Create a book from its first part: published at once, or a draft that
    only the studio shows (``data.draft``)."""
    book = audiobook_create(
        title=data.title.strip(),
        authors=data.authors.strip(),
        narrators=data.narrators.strip(),
        language=data.language,
        description=data.description,
        slug=book_slug_free(data.title),
        published_at=clock.now(),
        sample_seconds=data.sample_seconds,
        parts=[AudiobookPartInput(audio=first_part, title=first_part_title.strip())],
        draft=data.draft,
    )
    if data.cover is not None:
        # Last, so that nothing after the file is written can fail and leave it.
        _cover_replace(book, data.cover)
    return book


@transaction.atomic
def studio_book_update(*, book: Audiobook, data: BookInput) -> Audiobook:
    """Save the studio form's values on ``book``; its slug (its address) stays."""
    row = _locked(book)
    values: dict[str, object] = {
        "title": data.title.strip(),
        "authors": data.authors.strip(),
        "narrators": data.narrators.strip(),
        "language": data.language,
        "description": sanitize_html(data.description),
        "sample_seconds": data.sample_seconds,
        "status": Audiobook.Status.DRAFT if data.draft else Audiobook.Status.PUBLISHED,
    }
    if row.is_draft and not data.draft:
        # Published now: the book is new to listeners from this moment.
        values["published_at"] = clock.now()
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row.full_clean(exclude=["cover"])
        row.save(update_fields=[*changed, "updated_at"])
    if data.cover is not None:
        _cover_replace(row, data.cover)
    logger.info("Audiobook %s edited in the studio (%s)", row.pk, changed)
    return row


@transaction.atomic
def book_part_add(
    *, book: Audiobook, audio: AudioFile, title: str = ""
) -> AudiobookPart:
    """Append ``audio`` to the end of the book's timeline as a new part."""
    row = _locked(book)
    last = AudiobookPart.objects.filter(audiobook=row).order_by("-position").first()
    part = AudiobookPart(
        audiobook=row,
        position=(last.position + 1) if last else 1,
        title=title.strip(),
        audio=audio,
        start_seconds=row.duration_seconds,
        duration_seconds=audio.duration_seconds,
    )
    part.full_clean()
    part.save()
    _timeline_rebuild(row)
    logger.info("Audiobook %s: part %s added", row.pk, part.position)
    return part


@transaction.atomic
def book_part_move(*, part: AudiobookPart, direction: Direction) -> AudiobookPart:
    """Swap the part with the one before it (``up``) or after it (``down``);
    at either end nothing moves."""
    book = _locked(part.audiobook)
    row = AudiobookPart.objects.get(pk=part.pk, audiobook=book)
    parts = AudiobookPart.objects.filter(audiobook=book)
    if direction == "up":
        neighbour = (
            parts.filter(position__lt=row.position).order_by("-position").first()
        )
    else:
        neighbour = parts.filter(position__gt=row.position).order_by("position").first()
    if neighbour is None:
        return row
    mine, theirs = row.position, neighbour.position
    # Position 0 is never a part's (they count from 1): a free slot for the swap.
    row.position = 0
    row.save(update_fields=["position"])
    neighbour.position = mine
    neighbour.save(update_fields=["position"])
    row.position = theirs
    row.save(update_fields=["position"])
    _timeline_rebuild(book)
    row.refresh_from_db()
    logger.info("Audiobook %s: part %s moved %s", book.pk, row.pk, direction)
    return row


@transaction.atomic
def book_part_rename(*, part: AudiobookPart, title: str) -> AudiobookPart:
    row = AudiobookPart.objects.select_for_update().get(pk=part.pk)
    row.title = title.strip()
    row.full_clean()
    row.save(update_fields=["title"])
    return row


def _audio_used_elsewhere(audio_id: int, *, but_part: int) -> bool:
    return (
        Episode.objects.filter(audio_id=audio_id).exists()
        or AudiobookPart.objects.filter(audio_id=audio_id).exclude(pk=but_part).exists()
        or Audiobook.objects.filter(sample_audio_id=audio_id).exists()
    )


@transaction.atomic
def book_part_remove(*, part: AudiobookPart) -> Audiobook:
    """Take the part out of the book; the parts after it move up the timeline.

    Its audio file goes too (row and stored bytes, once committed) unless
    something else uses it. The last part stays: raise BookLastPart.
    """
    book = _locked(part.audiobook)
    row = AudiobookPart.objects.get(pk=part.pk, audiobook=book)
    if AudiobookPart.objects.filter(audiobook=book).count() <= 1:
        raise BookLastPart(audiobook_id=book.pk)
    audio_id = row.audio_id
    row.delete()
    _timeline_rebuild(book)
    if not _audio_used_elsewhere(audio_id, but_part=row.pk):
        audio = AudioFile.objects.get(pk=audio_id)
        storage, name = audio.file.storage, audio.file.name
        audio.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))
    logger.info("Audiobook %s: a part removed", book.pk)
    return book
