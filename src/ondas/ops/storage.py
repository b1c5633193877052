"""`ondas storage migrate --to s3|local`: move audio bytes between storages.

One file at a time, in id order. Each file is copied to the target storage
under the same name, then read back from there and its size and SHA-256
compared with the source's (and with the row's own checksum, when it has
one); only then is the row switched, by an update that also checks the row
still names the source storage and the same file. So a row never names an
object that was not verified, and a run killed anywhere leaves rows that
point either at their old bytes (still there) or at verified new ones:
running it again goes on with the rows not yet switched, and a copy left by
the killed run is verified again (and replaced when it does not match)
before any row points at it.

Source files are kept unless ``delete_source`` is set; they are deleted
only after their row was switched.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.utils.timezone import now as timezone_now

from ondas.catalog.models import AudioFile
from ondas.core.media import LOCAL, S3, STORAGE_NAMES, storage_for

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024


class StorageMigrateError(Exception):
    """The migration cannot start (an unknown or unconfigured storage)."""


@dataclass
class MigrateReport:
    total: int = 0
    moved: int = 0
    bytes_moved: int = 0
    failed: list[str] = field(default_factory=list)
    deleted: int = 0


Progress = Callable[[int, int, int, str], None]


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


def _digest(stream: BinaryIO) -> Digest:
    sha = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_BYTES):
        sha.update(chunk)
        size += len(chunk)
    return Digest(size=size, sha256=sha.hexdigest())


def _s3_client_bucket() -> tuple[Any, str]:
    s3 = storage_for(S3)
    return s3.connection.meta.client, str(s3.bucket_name)  # type: ignore[attr-defined]


@contextmanager
def _reading(storage_name: str, name: str) -> Iterator[Any]:
    """The stored bytes as a stream, a chunk at a time from S3 (not spooled
    whole to a temporary file as the storage's own ``open`` does).

    Raises FileNotFoundError when there is no such file or object.
    """
    if storage_name == S3:
        client, bucket = _s3_client_bucket()
        try:
            body = client.get_object(Bucket=bucket, Key=name)["Body"]
        except client.exceptions.NoSuchKey:
            raise FileNotFoundError(name) from None
        try:
            yield body
        finally:
            body.close()
    else:
        with storage_for(LOCAL).open(name, "rb") as stream:
            yield stream


def _copy_to_s3(name: str, digest: Digest, content_type: str) -> None:
    client, bucket = _s3_client_bucket()
    with _reading(LOCAL, name) as stream:
        client.upload_fileobj(
            stream,
            bucket,
            name,
            ExtraArgs={
                "ContentType": content_type,
                "Metadata": {"sha256": digest.sha256},
            },
        )


def _copy_to_local(name: str) -> None:
    """Write the file beside its final place, then rename it there whole."""
    target = storage_for(LOCAL)
    assert isinstance(target, FileSystemStorage)
    final = Path(target.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=".migrate-")
    try:
        with os.fdopen(fd, "wb") as out, _reading(S3, name) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _target_matches(to: str, name: str, digest: Digest) -> bool:
    """Whether storage ``to`` holds these very bytes under ``name`` (read back)."""
    try:
        with _reading(to, name) as stored:
            return _digest(stored) == digest
    except FileNotFoundError:
        return False


def _migrate_one(audio: AudioFile, *, source_name: str, to: str) -> Digest:
    """Copy and verify one file; raise ValueError when it cannot be verified."""
    name = str(audio.file.name)
    with _reading(source_name, name) as source:
        digest = _digest(source)
    if audio.sha256 and audio.sha256 != digest.sha256:
        raise ValueError(
            f"audio {audio.pk}: {name} does not match the checksum on its row "
            "(left where it is)"
        )
    if digest.size != audio.size:
        raise ValueError(
            f"audio {audio.pk}: {name} has {digest.size} bytes, its row says "
            f"{audio.size} (left where it is)"
        )
    if not _target_matches(to, name, digest):
        if to == S3:
            _copy_to_s3(name, digest, audio.mime_type)
        else:
            _copy_to_local(name)
        if not _target_matches(to, name, digest):
            raise ValueError(
                f"audio {audio.pk}: the copy of {name} in {to} storage does not "
                "read back as written (row not switched)"
            )
    return digest


def storage_migrate(
    *, to: str, delete_source: bool = False, progress: Progress | None = None
) -> MigrateReport:
    """Move every audio file not in storage ``to`` there (see the module doc)."""
    if to not in STORAGE_NAMES:
        raise StorageMigrateError(f"unknown storage {to!r}: local or s3")
    source_name = LOCAL if to == S3 else S3
    try:
        storage_for(to)
        source = storage_for(source_name)
    except ImproperlyConfigured as exc:
        raise StorageMigrateError(str(exc)) from None
    pending = AudioFile.objects.filter(storage=source_name).order_by("pk")
    report = MigrateReport(total=pending.count())
    for audio in pending.iterator(chunk_size=200):
        name = str(audio.file.name)
        try:
            digest = _migrate_one(audio, source_name=source_name, to=to)
        except (ValueError, OSError) as exc:
            report.failed.append(str(exc))
            logger.warning("Storage migration: %s", exc)
        else:
            switched = AudioFile.objects.filter(
                pk=audio.pk, storage=source_name, file=name
            ).update(storage=to, sha256=digest.sha256, updated_at=timezone_now())
            if switched:
                report.moved += 1
                report.bytes_moved += digest.size
                if delete_source:
                    source.delete(name)
                    report.deleted += 1
            else:
                report.failed.append(
                    f"audio {audio.pk}: changed while it was copied (row not switched)"
                )
        if progress is not None:
            done = report.moved + len(report.failed)
            progress(done, report.total, report.bytes_moved, name)
    if delete_source:
        # Rows an earlier run switched, whose source copies were kept then.
        for name in AudioFile.objects.filter(storage=to).values_list("file", flat=True):
            if name and source.exists(name):
                source.delete(name)
                report.deleted += 1
    return report
