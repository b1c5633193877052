"""Bring audiobooks in from a directory on disk (``ondas books import DIR``).

Every directory under DIR (DIR included) that holds files directly is one
book; each audio file in it is a part, in natural order of the file names
("2.mp3" before "10.mp3"). Each file is checked by its content as an upload
is (``uploads.audio.audio_inspect``: mutagen, the duration, a cut-short file);
one that is not audio Ondas takes is skipped, named with the reason, and the
rest import. A ``cover``/``folder`` image that meets the artwork rules (or
can be fitted to them) becomes the cover. Files starting with a dot are
ignored.

Tags, read with mutagen: the album is the title, the album artist (else the
artist) the author, a ``narrator`` tag (else the composer) the narrator, each
track's title its part's title. Without tags, the directory's name is the
title.

Running it again changes nothing: a directory whose audio Ondas already holds
(same SHA-256 as a part of a book) is that book, else a book of the same
title and author is; of its files only those no part has yet are added, at
the end. Bytes go into media storage through Django's storage API.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import mutagen
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from mutagen import MutagenError
from mutagen.id3 import ID3

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, AudiobookPart, AudioFile, bcp47_validator
from ondas.catalog.services import AudiobookPartInput, audio_file_create
from ondas.catalog.services import audiobook_create as catalog_audiobook_create
from ondas.catalog.services.books_authored import book_part_add, book_slug_free
from ondas.core import clock
from ondas.studio.models import Role
from ondas.studio.services.members import membership_grant
from ondas.studio.uploads.artwork import artwork_check, artwork_fit
from ondas.studio.uploads.audio import audio_inspect
from ondas.studio.uploads.errors import ArtworkRefused, AudioRefused

logger = logging.getLogger(__name__)

# Stored, not shown through gettext: the catalog's data stays as imported.
UNKNOWN_AUTHOR = "Unknown author"
COVER_NAMES = {"cover", "folder", "front"}
COVER_SUFFIXES = {".jpg", ".jpeg", ".png"}
_DIGITS = re.compile(r"(\d+)")

# (files done, files in all, the file now): the command draws its progress.
Progress = Callable[[int, int, Path], None]


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders the numbers in names by value: 2 before 10."""
    return tuple(
        (0, int(piece)) if piece.isdigit() else (1, piece.casefold())
        for piece in _DIGITS.split(name)
        if piece
    )


@dataclass
class ImportReport:
    books_created: list[Audiobook] = field(default_factory=list)
    books_unchanged: list[Audiobook] = field(default_factory=list)
    parts_added: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Track:
    path: Path
    mime_type: str
    duration_seconds: float
    bitrate: int
    sha256: str
    tags: dict[str, str]


def book_directories(root: Path) -> list[Path]:
    """The directories under ``root`` (itself included) holding files, in
    natural order."""
    found = [root, *(p for p in root.rglob("*") if p.is_dir())]
    with_files = [
        d
        for d in found
        if not any(part.startswith(".") for part in d.relative_to(root).parts)
        and any(_wanted(child) for child in d.iterdir())
    ]
    return sorted(with_files, key=lambda d: natural_key(str(d.relative_to(root))))


def _wanted(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".")


def _is_cover(path: Path) -> bool:
    return path.stem.casefold() in COVER_NAMES and path.suffix.casefold() in (
        COVER_SUFFIXES
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fileobj:
        for block in iter(lambda: fileobj.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _first(tags: object, *keys: str) -> str:
    for key in keys:
        try:
            values = tags[key]  # type: ignore[index]
        except (KeyError, ValueError, TypeError):
            continue
        text = str(values[0] if isinstance(values, list) else values).strip()
        if text:
            return text
    return ""


def track_tags(path: Path) -> dict[str, str]:
    """The tags a book import reads, by mutagen's easy names; '' when absent."""
    try:
        easy = mutagen.File(path, easy=True)
    except MutagenError:
        easy = None
    tags = easy.tags if easy is not None and easy.tags is not None else {}
    narrator = _first(tags, "narrator", "performer")
    if not narrator:
        try:
            id3 = ID3(path)  # type: ignore[no-untyped-call]
        except MutagenError:
            id3 = None
        if id3 is not None:
            frames = id3.getall("TXXX:NARRATOR")  # type: ignore[no-untyped-call]
            narrator = str(frames[0].text[0]).strip() if frames else ""
    return {
        "album": _first(tags, "album"),
        "author": _first(tags, "albumartist", "artist"),
        "narrator": narrator or _first(tags, "composer"),
        "title": _first(tags, "title"),
        "language": _first(tags, "language"),
    }


def _inspect(path: Path) -> _Track:
    """Raises the AudioRefused that names why the file is not taken."""
    info = audio_inspect(path=path, max_bytes=settings.ONDAS_UPLOAD_MAX_BYTES)
    return _Track(
        path=path,
        mime_type=info.mime_type,
        duration_seconds=info.duration_seconds,
        bitrate=info.bitrate,
        sha256=_sha256(path),
        tags=track_tags(path),
    )


def _cover(path: Path) -> File[bytes]:
    """The image as a conforming cover; raises ArtworkRefused."""
    with path.open("rb") as fileobj:
        try:
            artwork_check(fileobj=fileobj)
        except ArtworkRefused as refused:
            if not refused.can_fit:
                raise
            fitted = artwork_fit(fileobj=fileobj)
            suffix = ".png" if fitted.mime_type == "image/png" else ".jpg"
            return ContentFile(fitted.content, name=path.stem + suffix)
        return ContentFile(path.read_bytes(), name=path.name)


def _language(tracks: Iterable[_Track], default: str) -> str:
    for track in tracks:
        tag = track.tags["language"]
        if tag:
            try:
                bcp47_validator(tag)
            except ValidationError:
                continue
            return tag
    return default


def _existing_book(tracks: list[_Track], title: str, authors: str) -> Audiobook | None:
    hashes = [t.sha256 for t in tracks]
    part = (
        AudiobookPart.objects.filter(audio__sha256__in=hashes)
        .select_related("audiobook")
        .order_by("audiobook_id")
        .first()
    )
    if part is not None:
        return part.audiobook
    return Audiobook.objects.filter(title=title, authors=authors).order_by("pk").first()


def _store(track: _Track, stored: list[AudioFile]) -> AudioFile:
    with track.path.open("rb") as fileobj:
        audio = audio_file_create(
            name=track.path.name,
            content=File(fileobj, name=track.path.name),
            mime_type=track.mime_type,
            duration_seconds=track.duration_seconds,
            bitrate=track.bitrate,
        )
    stored.append(audio)
    return audio


def _book_write(
    directory: Path,
    tracks: list[_Track],
    cover: File[bytes] | None,
    *,
    owner: User | None,
    language: str,
    report: ImportReport,
) -> None:
    tagged = next((t.tags for t in tracks if t.tags["album"]), None) or tracks[0].tags
    title = tagged["album"] or directory.name
    authors = tagged["author"] or next(
        (t.tags["author"] for t in tracks if t.tags["author"]), UNKNOWN_AUTHOR
    )
    narrators = tagged["narrator"]
    book = _existing_book(tracks, title, authors)
    stored: list[AudioFile] = []
    try:
        with transaction.atomic():
            if book is None:
                book = catalog_audiobook_create(
                    title=title,
                    authors=authors,
                    narrators=narrators,
                    language=_language(tracks, language),
                    published_at=clock.now(),
                    slug=book_slug_free(title),
                    cover=cover,
                    parts=[
                        AudiobookPartInput(
                            audio=_store(t, stored), title=t.tags["title"]
                        )
                        for t in tracks
                    ],
                )
                report.books_created.append(book)
                report.parts_added += len(tracks)
            else:
                held = set(
                    AudiobookPart.objects.filter(audiobook=book).values_list(
                        "audio__sha256", flat=True
                    )
                )
                new = [t for t in tracks if t.sha256 not in held]
                for track in new:
                    book_part_add(
                        book=book,
                        audio=_store(track, stored),
                        title=track.tags["title"],
                    )
                report.parts_added += len(new)
                if not new:
                    report.books_unchanged.append(book)
            if owner is not None:
                membership_grant(target=book, user=owner, role=Role.OWNER)
    except BaseException:
        # No stored bytes without their row.
        for audio in stored:
            audio.file.delete(save=False)
        raise
    logger.info("Books import: %s from %s", book.pk, directory)


def books_import(
    *,
    root: Path,
    owner: User | None = None,
    language: str = "en",
    progress: Progress | None = None,
) -> ImportReport:
    """Import every book directory under ``root`` (see the module)."""
    report = ImportReport()
    directories = book_directories(root)
    files = {
        d: sorted(
            (p for p in d.iterdir() if _wanted(p)), key=lambda p: natural_key(p.name)
        )
        for d in directories
    }
    total = sum(len(found) for found in files.values())
    done = 0
    for directory in directories:
        tracks: list[_Track] = []
        cover: File[bytes] | None = None
        for path in files[directory]:
            done += 1
            if progress is not None:
                progress(done, total, path)
            if _is_cover(path):
                try:
                    cover = _cover(path)
                except ArtworkRefused as refused:
                    report.skipped.append((path, " ".join(refused.problems)))
                continue
            try:
                tracks.append(_inspect(path))
            except AudioRefused as refused:
                report.skipped.append((path, refused.message))
        if tracks:
            _book_write(
                directory,
                tracks,
                cover,
                owner=owner,
                language=language,
                report=report,
            )
    return report
