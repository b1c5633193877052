"""Operations that change the catalog. Each runs in one transaction.

Writes for imported shows live in ``imported`` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from django.core.files import File
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ondas.catalog.apple_categories import APPLE_CATEGORIES
from ondas.catalog.chapters import ChapterInput, chapters_from_id3, chapters_normalise
from ondas.catalog.errors import InvalidChapter, UnknownCategory
from ondas.catalog.media_types import HEAD_BYTES, UNKNOWN_TYPE, media_type_resolve
from ondas.catalog.models import (
    Audiobook,
    AudiobookChapter,
    AudiobookPart,
    AudioFile,
    Category,
    Chapter,
    Episode,
    Show,
    ShowCategory,
)
from ondas.catalog.sanitize import sanitize_html as sanitize_html
from ondas.catalog.services.authored import episode_guid_check
from ondas.catalog.services.imported import (
    BATCH as BATCH,
)
from ondas.catalog.services.imported import (
    EpisodeInput as EpisodeInput,
)
from ondas.catalog.services.imported import (
    EpisodeRows as EpisodeRows,
)
from ondas.catalog.services.imported import (
    PersonInput as PersonInput,
)
from ondas.catalog.services.imported import (
    TranscriptInput as TranscriptInput,
)
from ondas.catalog.services.imported import chapter_rows
from ondas.catalog.services.imported import (
    episode_transcripts_replace as episode_transcripts_replace,
)
from ondas.catalog.services.imported import (
    episode_update_from_feed as episode_update_from_feed,
)
from ondas.catalog.services.imported import (
    episodes_create_many as episodes_create_many,
)
from ondas.catalog.services.imported import (
    episodes_prepare as episodes_prepare,
)
from ondas.catalog.services.imported import (
    episodes_write as episodes_write,
)
from ondas.catalog.services.imported import (
    feed_persons_replace as feed_persons_replace,
)
from ondas.catalog.services.imported import (
    feed_profile_save as feed_profile_save,
)
from ondas.catalog.services.imported import (
    show_listed as show_listed,
)
from ondas.catalog.services.imported import (
    show_update_from_feed as show_update_from_feed,
)

logger = logging.getLogger(__name__)


def category_sync_apple() -> int:
    """Create any of Apple's categories that are missing; return how many were made."""
    created = 0
    for top_name, sub_names in APPLE_CATEGORIES:
        top, made = Category.objects.get_or_create(
            parent=None, name=top_name, defaults={"slug": slugify(top_name)}
        )
        created += made
        for sub_name in sub_names:
            _sub, made = Category.objects.get_or_create(
                parent=top,
                name=sub_name,
                defaults={"slug": f"{top.slug}-{slugify(sub_name)}"},
            )
            created += made
    return created


def category_resolve(*, name: str) -> Category:
    """Return the category for "Technology" or "News › Tech News"; raise UnknownCategory."""
    parts = [p.strip() for p in name.replace("›", ">").split(">")]
    try:
        if len(parts) == 1:
            return Category.objects.get(parent=None, name=parts[0])
        if len(parts) == 2:
            return Category.objects.get(parent__name=parts[0], name=parts[1])
    except Category.DoesNotExist:
        pass
    raise UnknownCategory(name=name)


@transaction.atomic
def show_create(
    *,
    title: str,
    author: str,
    language: str,
    description: str = "",
    slug: str = "",
    categories: Sequence[str] = (),
    explicit: bool = False,
    kind: str = Show.Kind.EPISODIC,
    artwork: File[bytes] | None = None,
    importing: bool = False,
) -> Show:
    """Create a show; ``categories`` are Apple names, the first one primary.

    ``importing``: the show stays hidden until a feed import has written it all
    (``Show.importing``).
    """
    show = Show(
        importing=importing,
        title=title,
        slug=slug or slugify(title)[:120],
        author=author,
        language=language,
        description=sanitize_html(description),
        explicit=explicit,
        kind=kind,
    )
    show.full_clean(exclude=["artwork"])
    show.save()
    if artwork is not None:
        show.artwork.save(artwork.name or f"{show.slug}.png", artwork, save=False)
        show.save(update_fields=["artwork", "updated_at"])
    for position, name in enumerate(categories):
        ShowCategory.objects.create(
            show=show, category=category_resolve(name=name), position=position
        )
    logger.info("Show %s created (%s)", show.pk, show.slug)
    return show


def audio_file_create(
    *,
    name: str,
    content: BinaryIO | File[bytes],
    mime_type: str,
    duration_seconds: float,
    bitrate: int = 0,
) -> AudioFile:
    """Store audio bytes and record their size, digest and format.

    A generic ``mime_type`` (empty, ``application/octet-stream``) is read from
    the name's extension, else from the first bytes: it is what the audio is
    served and republished as.
    """
    digest = hashlib.sha256()
    size = 0
    head = b""
    for block in iter(lambda: content.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
        if len(head) < HEAD_BYTES:
            head += block[: HEAD_BYTES - len(head)]
    content.seek(0)
    audio = AudioFile(
        size=size,
        mime_type=media_type_resolve(mime_type, name=name, head=head) or UNKNOWN_TYPE,
        bitrate=bitrate,
        duration_seconds=duration_seconds,
        sha256=digest.hexdigest(),
    )
    # A File that names a file on disk (``temporary_file_path``) is moved into
    # a local storage rather than copied.
    upload = content if isinstance(content, File) else File(content, name=name)
    audio.file.save(name, upload, save=False)
    try:
        audio.full_clean()
        audio.save()
    except BaseException:
        audio.file.delete(save=False)  # no stored bytes without their row
        raise
    return audio


def _validate_chapters(chapters: Iterable[ChapterInput], duration: float) -> None:
    """Chapters start inside the episode (of ``duration``; 0: unchecked), each
    at its own time."""
    seen: set[float] = set()
    for chapter in chapters:
        if chapter.start_seconds < 0 or (
            duration and chapter.start_seconds >= duration
        ):
            raise InvalidChapter(
                start_seconds=chapter.start_seconds,
                reason=_("A chapter must start inside the episode."),
            )
        if chapter.start_seconds in seen:
            raise InvalidChapter(
                start_seconds=chapter.start_seconds,
                reason=_("Two chapters cannot start at the same time."),
            )
        seen.add(chapter.start_seconds)


@transaction.atomic
def episode_create(
    *,
    show: Show,
    guid: str,
    title: str,
    published_at: datetime,
    description: str = "",
    slug: str = "",
    duration_seconds: float = 0,
    season: int | None = None,
    number: int | None = None,
    access: str = Episode.Access.FREE,
    kind: str = Episode.Kind.FULL,
    audio: AudioFile | None = None,
    chapters: Sequence[ChapterInput] = (),
) -> Episode:
    """Create an episode with its chapters; the description is sanitised.

    Raise EpisodeGuidRetired for a GUID a deleted episode of the show had.
    """
    episode_guid_check(show=show, guid=guid)
    if audio is not None and not duration_seconds:
        duration_seconds = audio.duration_seconds
    episode = Episode(
        show=show,
        guid=guid,
        title=title,
        slug=slug or slugify(title)[:120] or slugify(guid)[:120],
        description=sanitize_html(description),
        published_at=published_at,
        duration_seconds=duration_seconds,
        season=season,
        number=number,
        access=access,
        kind=kind,
        audio=audio,
    )
    episode.full_clean()
    episode.save()
    episode_chapters_replace(episode=episode, chapters=chapters)
    return episode


def episode_chapters_replace(
    *, episode: Episode, chapters: Sequence[ChapterInput], beyond_duration: bool = False
) -> list[Chapter]:
    """Replace the episode's chapters with ``chapters`` (sorted by start).

    ``beyond_duration`` keeps chapters that start after the episode's duration:
    for an imported episode that is only what its feed declares, and the audio
    may well be longer.
    """
    _validate_chapters(chapters, 0 if beyond_duration else episode.duration_seconds)
    with transaction.atomic():
        Chapter.objects.filter(episode=episode).delete()
        return Chapter.objects.bulk_create(chapter_rows(episode, chapters))


def episode_chapters_from_audio(*, episode: Episode) -> list[ChapterInput]:
    """Replace the episode's chapters with those in its MP3's ID3 tags, if any.

    Returns the chapters found; an episode without audio or without CHAP
    frames keeps the chapters it has.
    """
    if episode.audio is None:
        return []
    with episode.audio.file.open("rb") as fh:
        chapters = chapters_normalise(
            chapters_from_id3(fh), duration_seconds=episode.duration_seconds
        )
    if chapters:
        episode_chapters_replace(episode=episode, chapters=chapters)
        logger.info("Episode %s: %s chapters from ID3", episode.pk, len(chapters))
    return chapters


@dataclass(frozen=True)
class AudiobookPartInput:
    audio: AudioFile
    title: str = ""


@transaction.atomic
def audiobook_create(
    *,
    title: str,
    authors: str,
    language: str,
    published_at: datetime,
    parts: Sequence[AudiobookPartInput],
    chapters: Sequence[ChapterInput] = (),
    narrators: str = "",
    publisher: str = "",
    description: str = "",
    slug: str = "",
    categories: Sequence[str] = (),
    sample_seconds: int = 300,
    sample_audio: AudioFile | None = None,
    cover: File[bytes] | None = None,
    draft: bool = False,
) -> Audiobook:
    """Create a book from its parts, in order; chapters sit on the whole timeline.

    ``draft``: listeners do not see it until it is published.
    """
    if not parts:
        raise InvalidChapter(
            start_seconds=0, reason=_("A book needs at least one part.")
        )
    book = Audiobook(
        title=title,
        slug=slug or slugify(title)[:120],
        authors=authors,
        narrators=narrators,
        publisher=publisher,
        description=sanitize_html(description),
        language=language,
        published_at=published_at,
        sample_seconds=sample_seconds,
        sample_audio=sample_audio,
        duration_seconds=sum(p.audio.duration_seconds for p in parts),
        status=Audiobook.Status.DRAFT if draft else Audiobook.Status.PUBLISHED,
    )
    book.full_clean(exclude=["cover"])
    book.save()
    if cover is not None:
        book.cover.save(cover.name or f"{book.slug}.png", cover, save=False)
        book.save(update_fields=["cover", "updated_at"])
    offset = 0.0
    for position, part in enumerate(parts, start=1):
        AudiobookPart.objects.create(
            audiobook=book,
            position=position,
            title=part.title,
            audio=part.audio,
            start_seconds=offset,
            duration_seconds=part.audio.duration_seconds,
        )
        offset += part.audio.duration_seconds
    _validate_chapters(chapters, book.duration_seconds)
    AudiobookChapter.objects.bulk_create(
        AudiobookChapter(audiobook=book, start_seconds=c.start_seconds, title=c.title)
        for c in sorted(chapters, key=lambda c: c.start_seconds)
    )
    book.categories.set([category_resolve(name=name) for name in categories])
    logger.info("Audiobook %s created (%s parts)", book.pk, len(parts))
    return book
