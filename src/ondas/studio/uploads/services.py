"""Uploads: create one, append bytes to it, finish (check and store) or end it,
and sweep the ones that expired.

The bytes of an unfinished upload live in one file in the temporary area
(``ONDAS_UPLOAD_TEMP_DIR``); its size *is* the upload's offset, so bytes that
reached the disk before a connection dropped are never lost nor counted twice.
One request at a time writes to an upload (an exclusive ``flock`` on that file;
a second gets ``UploadBusy``, 423, and tus clients retry). The lock is per
machine: with several app nodes, give the temporary area to one of them (or a
shared disk with working ``flock``) for ``/studio/uploads/``.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.timezone import now as timezone_now
from django_tasks import task

from ondas.accounts.models import User
from ondas.catalog.media_types import media_extension
from ondas.catalog.services import audio_file_create
from ondas.studio.uploads.audio import audio_inspect
from ondas.studio.uploads.errors import (
    AudioEmpty,
    AudioRefused,
    UploadBusy,
    UploadChecksumMismatch,
    UploadExpired,
    UploadOffsetMismatch,
    UploadTooLarge,
    UploadTooManyOpen,
)
from ondas.studio.uploads.models import Upload
from ondas.studio.uploads.selectors import upload_is_expired
from ondas.studio.uploads.tus import Checksum

logger = logging.getLogger(__name__)

READ_BLOCK = 256 * 1024
MAX_NAME = 120


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class _OnDisk(File[bytes]):
    """A file Django's local storage may move into place instead of copying."""

    def __init__(self, fileobj: BinaryIO, *, name: str, path: Path) -> None:
        super().__init__(fileobj, name=name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def _expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.ONDAS_UPLOAD_EXPIRY_SECONDS)


def _clean_name(filename: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip()
    return "".join(ch for ch in name if ch.isprintable())[:MAX_NAME]


def upload_create(
    *,
    owner: User,
    length: int,
    filename: str = "",
    declared_type: str = "",
    now: datetime | None = None,
) -> Upload:
    """Open an upload of ``length`` bytes for ``owner``, with an empty file in
    the temporary area.

    Raises UploadTooLarge past ``ONDAS_UPLOAD_MAX_BYTES`` (nothing is
    created), AudioEmpty for a 0-byte file, UploadTooManyOpen when the owner
    already has ``ONDAS_UPLOAD_MAX_OPEN`` unfinished uploads.
    """
    now = now or timezone_now()
    limit = settings.ONDAS_UPLOAD_MAX_BYTES
    if length > limit:
        raise UploadTooLarge(length=length, limit=limit)
    if length == 0:
        raise AudioEmpty()
    with transaction.atomic(durable=True):
        open_count = (
            Upload.objects.select_for_update(of=("self",))
            .filter(owner=owner, completed_at__isnull=True, expires_at__gt=now)
            .count()
        )
        if open_count >= settings.ONDAS_UPLOAD_MAX_OPEN:
            raise UploadTooManyOpen(limit=settings.ONDAS_UPLOAD_MAX_OPEN)
        upload = Upload(
            owner=owner,
            length=length,
            filename=_clean_name(filename),
            declared_type=declared_type[:100],
            expires_at=_expiry(now),
        )
        upload.full_clean()
        upload.save()
        upload.temp_path.parent.mkdir(parents=True, exist_ok=True)
        upload.temp_path.touch(exist_ok=False)
        transaction.on_commit(lambda: _expiry_schedule(upload=upload))
    logger.info("Upload %s created by user %s (%s bytes)", upload.pk, owner.pk, length)
    return upload


@contextmanager
def _locked(path: Path) -> Iterator[BinaryIO]:
    """The upload's file, open for writing and locked against other requests."""
    try:
        fileobj = path.open("r+b")
    except FileNotFoundError:
        raise UploadExpired() from None
    with fileobj:
        try:
            fcntl.flock(fileobj.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadBusy() from None
        yield fileobj  # closing the file releases the lock


def upload_append(
    *,
    upload: Upload,
    offset: int,
    stream: Readable,
    content_length: int,
    checksum: Checksum | None = None,
    now: datetime | None = None,
) -> Upload:
    """Append the ``content_length`` bytes of ``stream`` at ``offset``; when
    the upload is then whole, check and store it (``upload_complete``).

    The bytes go to disk a block at a time as they arrive; if the stream ends
    early, the ones received are kept and the offset says so. Raises
    UploadExpired, UploadOffsetMismatch (the offset is not the upload's),
    UploadTooLarge (more bytes than the upload's length), UploadBusy,
    UploadChecksumMismatch (the chunk is dropped) or, on completion, the
    AudioRefused that says why the file was refused (and it is gone).
    """
    now = now or timezone_now()
    if upload_is_expired(upload=upload, now=now):
        raise UploadExpired()
    if upload.is_complete:
        raise UploadOffsetMismatch(expected=upload.length, received=offset)
    with _locked(upload.temp_path) as fileobj:
        current = os.fstat(fileobj.fileno()).st_size
        if offset != current:
            raise UploadOffsetMismatch(expected=current, received=offset)
        if offset + content_length > upload.length:
            raise UploadTooLarge(length=offset + content_length, limit=upload.length)
        _touch(upload, now=now)
        received = _receive(
            fileobj, stream, at=current, count=content_length, checksum=checksum
        )
        logger.debug("Upload %s: %s bytes at %s", upload.pk, received, current)
        if current + received == upload.length:
            return upload_complete(upload=upload)
    return upload


def _touch(upload: Upload, *, now: datetime) -> None:
    upload.expires_at = _expiry(now)
    upload.save(update_fields=["expires_at", "updated_at"])


def _receive(
    fileobj: BinaryIO,
    stream: Readable,
    *,
    at: int,
    count: int,
    checksum: Checksum | None,
) -> int:
    """Copy up to ``count`` bytes from ``stream`` to ``fileobj`` at ``at``;
    return how many arrived. With a checksum, a chunk that is short or does
    not match is cut off again."""
    hasher = checksum.hasher() if checksum else None
    fileobj.seek(at)
    received = 0
    try:
        while received < count:
            block = stream.read(min(READ_BLOCK, count - received))
            if not block:
                break
            fileobj.write(block)
            received += len(block)
            if hasher:
                hasher.update(block)
    finally:
        fileobj.flush()
        if checksum and (
            received < count or hasher is None or hasher.digest() != checksum.digest
        ):
            fileobj.truncate(at)
            received = 0
    if checksum and count and received == 0:
        raise UploadChecksumMismatch()
    return received


def upload_complete(*, upload: Upload) -> Upload:
    """Check the whole upload by its content and move it into storage as an
    ``AudioFile``.

    Raises the AudioRefused that names the problem; then the upload, its
    bytes and any stored copy are gone.
    """
    path = upload.temp_path
    try:
        info = audio_inspect(path=path, max_bytes=settings.ONDAS_UPLOAD_MAX_BYTES)
    except AudioRefused as refusal:
        _discard(upload)
        logger.info("Upload %s refused: %s", upload.pk, refusal.code)
        raise
    stem = os.path.splitext(upload.filename)[0] or "audio"
    name = f"{stem}.{media_extension(info.mime_type) or 'bin'}"
    stored = None
    try:
        with transaction.atomic(durable=True), path.open("rb") as fileobj:
            stored = audio_file_create(
                name=name,
                content=_OnDisk(fileobj, name=name, path=path),
                mime_type=info.mime_type,
                duration_seconds=info.duration_seconds,
                bitrate=info.bitrate,
            )
            upload.audio = stored
            upload.completed_at = timezone_now()
            upload.save(update_fields=["audio", "completed_at", "updated_at"])
    except BaseException:
        # No stored bytes without their row, and no upload without its bytes.
        if stored is not None:
            stored.file.delete(save=False)
        _discard(upload)
        raise
    audio = stored
    with suppress(FileNotFoundError):
        path.unlink()  # a storage that copied (not moved) left it
    logger.info("Upload %s stored as audio %s (%s)", upload.pk, audio.pk, info.kind)
    return upload


def upload_receive_file(*, owner: User, received: UploadedFile) -> Upload:
    """Take a file sent by a plain form post (at most
    ``ONDAS_UPLOAD_FORM_MAX_BYTES``) through the same checks as a tus upload.

    Raises UploadTooLarge, or the AudioRefused that names the problem.
    """
    limit = min(settings.ONDAS_UPLOAD_FORM_MAX_BYTES, settings.ONDAS_UPLOAD_MAX_BYTES)
    size = received.size or 0
    if size > limit:
        raise UploadTooLarge(length=size, limit=limit)
    upload = upload_create(
        owner=owner,
        length=size,
        filename=received.name or "",
        declared_type=received.content_type or "",
    )
    try:
        with upload.temp_path.open("wb") as out:
            for block in received.chunks(READ_BLOCK):
                out.write(block)
    except OSError:
        _discard(upload)
        raise
    return upload_complete(upload=upload)


def _discard(upload: Upload) -> None:
    with suppress(FileNotFoundError):
        upload.temp_path.unlink()
    Upload.objects.filter(pk=upload.pk).delete()


def upload_terminate(*, upload: Upload) -> None:
    """End an upload (tus termination): its bytes and row go. A finished one
    takes its stored audio along, unless an episode or a book already uses it."""
    with _locked_or_gone(upload.temp_path):
        _discard(upload)
    audio = upload.audio
    if audio is not None:
        try:
            with transaction.atomic(durable=True):
                audio.delete()
        except ProtectedError:
            pass  # in use: it stays, only the upload's row went
        else:
            audio.file.delete(save=False)
    logger.info("Upload %s terminated", upload.pk)


@contextmanager
def _locked_or_gone(path: Path) -> Iterator[None]:
    """Hold the upload's lock while its file is still there."""
    try:
        fileobj = path.open("r+b")
    except FileNotFoundError:
        yield
        return
    with fileobj:
        try:
            fcntl.flock(fileobj.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadBusy() from None
        yield


def uploads_remove_expired(*, now: datetime | None = None) -> int:
    """Remove unfinished uploads that expired (their bytes and rows), the rows of
    finished ones past their expiry (their audio stays) and files in the
    temporary area that belong to no upload; return how many uploads went."""
    now = now or timezone_now()
    removed = 0
    for upload in Upload.objects.filter(expires_at__lte=now).order_by("pk"):
        if upload.is_complete:
            Upload.objects.filter(pk=upload.pk).delete()
            continue
        try:
            with _locked(upload.temp_path):
                _discard(upload)
        except UploadBusy:
            continue  # a PATCH is writing to it right now
        except UploadExpired:
            _discard(upload)
        removed += 1
    removed += _remove_strays(now=now)
    if removed:
        logger.info("Removed %s expired uploads", removed)
    return removed


def _remove_strays(*, now: datetime) -> int:
    """Files in the temporary area with no upload row, older than the expiry."""
    directory = Path(settings.ONDAS_UPLOAD_TEMP_DIR)
    if not directory.is_dir():
        return 0
    known = {upload_id.hex for upload_id in Upload.objects.values_list("id", flat=True)}
    cutoff = (now - timedelta(seconds=settings.ONDAS_UPLOAD_EXPIRY_SECONDS)).timestamp()
    removed = 0
    for path in directory.glob("*.part"):
        if path.stem in known:
            continue
        with suppress(FileNotFoundError):
            if path.stat().st_mtime <= cutoff:
                path.unlink()
                removed += 1
    return removed


@task()
def uploads_remove_expired_task() -> int:
    """Sweep expired and abandoned uploads; return how many went."""
    return uploads_remove_expired()


@task()
def upload_expire_task(*, upload_id: str) -> int:
    """At an upload's expiry: sweep, then wait for its next expiry if it is
    still there (each PATCH moves it), so that each upload has one chain."""
    removed = uploads_remove_expired()
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is not None:
        _expiry_schedule(upload=upload)
    return removed


def _expiry_schedule(*, upload: Upload) -> None:
    """Queue ``upload_expire_task`` for when the upload expires, where the task
    backend can wait (the database one); the inline backend of tests cannot,
    and sweeps there run when called."""
    if upload_expire_task.get_backend().supports_defer:
        upload_expire_task.using(
            run_after=upload.expires_at + timedelta(seconds=5)
        ).enqueue(upload_id=str(upload.pk))
