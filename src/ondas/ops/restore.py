"""`ondas restore DIR`: a backup of `ondas backup` into an empty instance.

Nothing is written until everything has been checked: the backup is complete
(``backup.json`` exists), it was made on the same database vendor, this code
knows every migration it applied, the instance is empty (no rows but those
``migrate`` writes, no media files), and the database copy and every media
file match their sizes and checksums. Then the database is put in place, the
media copied, and the rows of every table counted again against backup.json.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from ondas.ops.backup import (
    DESCRIPTION,
    MANIFEST,
    MEDIA_DIR,
    SECRET_KEY_FILE,
    BackupError,
    MediaFile,
    file_sha256,
    media_files,
    pg_environment,
    pg_tool,
    run_tool,
    table_counts,
    vendor,
)

# Tables `ondas manage migrate` fills by itself: rows there do not make an
# instance "used". The FTS5 index of search keeps two bookkeeping rows even
# when it indexes nothing.
_MIGRATE_FILLS = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "catalog_category",
        "search_fts_config",
        "search_fts_data",
    }
)


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    media_files: int
    migrations_to_apply: int


def _load(source: Path) -> tuple[dict[str, Any], list[MediaFile]]:
    if not (source / DESCRIPTION).is_file():
        raise BackupError(
            f"{source} has no {DESCRIPTION}: it is not a backup, or one that "
            "did not finish."
        )
    description: dict[str, Any] = json.loads((source / DESCRIPTION).read_text())
    if description.get("format") != 1:
        raise BackupError(f"unknown backup format {description.get('format')!r}.")
    manifest_sha = description["media"]["manifest_sha256"]
    if file_sha256(source / MANIFEST) != manifest_sha:
        raise BackupError(f"{MANIFEST} does not match its checksum in {DESCRIPTION}.")
    manifest = [
        MediaFile(**entry) for entry in json.loads((source / MANIFEST).read_text())
    ]
    return description, manifest


def _check_vendor_and_migrations(description: dict[str, Any]) -> int:
    """Refuse what this instance cannot take; return the migrations left to apply."""
    theirs = description["database"]["vendor"]
    if theirs != vendor():
        raise BackupError(
            f"this backup is of a {theirs} database and this instance runs on "
            f"{vendor()}: restore it into a {theirs} instance (DATABASE_URL "
            "chooses), then move the data with `ondas manage dumpdata`/`loaddata`."
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = {
        (app, name)
        for app, names in description["migrations"].items()
        for name in names
    }
    unknown = sorted(applied - known)
    if unknown:
        app, name = unknown[0]
        raise BackupError(
            f"this backup was made by a newer Ondas ({len(unknown)} migration(s) "
            f"this one does not have, such as {app}.{name}): upgrade Ondas first."
        )
    return len(known - applied)


def _check_empty() -> None:
    used: list[str] = []
    with connection.cursor() as cursor:
        for name, rows in table_counts(cursor, vendor=vendor()).items():
            if rows and name not in _MIGRATE_FILLS:
                used.append(f"{name} ({rows})")
    media_root = Path(settings.MEDIA_ROOT)
    stored = sum(1 for _ in media_files(media_root)) if media_root.is_dir() else 0
    if used or stored:
        found = ", ".join(used[:5]) + (" …" if len(used) > 5 else "")
        media = f"{stored} file(s) in {media_root}" if stored else ""
        raise BackupError(
            "restore needs an empty instance, and this one has data: "
            + "; ".join(part for part in (found and f"rows in {found}", media) if part)
            + ". Point ONDAS_DATA_DIR (or DATABASE_URL and ONDAS_MEDIA_ROOT) at a "
            "new, empty place."
        )


def _safe_relative(path: str) -> PurePosixPath:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise BackupError(f"the manifest names {path!r}, which is outside media/.")
    return relative


def _verify(
    source: Path, description: dict[str, Any], manifest: list[MediaFile]
) -> None:
    database = description["database"]
    db_path = source / database["file"]
    if not db_path.is_file() or file_sha256(db_path) != database["sha256"]:
        raise BackupError(
            f"{database['file']} is missing or does not match backup.json."
        )
    for entry in manifest:
        path = source / MEDIA_DIR / _safe_relative(entry.path)
        if not path.is_file():
            raise BackupError(f"media/{entry.path} is missing from the backup.")
        if path.stat().st_size != entry.size or file_sha256(path) != entry.sha256:
            raise BackupError(
                f"media/{entry.path} does not match the manifest (size or sha256): "
                "the backup is damaged; nothing was restored."
            )


def _restore_sqlite(db_file: Path) -> None:
    target = Path(str(settings.DATABASES["default"]["NAME"]))
    connections.close_all()  # no connection may be open while the file changes
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(db_file, partial)
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    # The old file's write-ahead log would be replayed onto the new file.
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(partial, target)


def _restore_postgresql(db_file: Path) -> None:
    pg_restore = pg_tool("pg_restore")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()"
        )
        migrated = bool(cursor.fetchall()[0][0])
    connections.close_all()
    argv = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ]
    if migrated:  # the empty tables of `migrate` make way for the backup's
        argv += ["--clean", "--if-exists"]
    env = pg_environment()
    run_tool([*argv, f"--dbname={env['PGDATABASE']}", str(db_file)], env=env)


def _media_restore(source: Path, manifest: list[MediaFile]) -> None:
    root = Path(settings.MEDIA_ROOT)
    for entry in manifest:
        relative = _safe_relative(entry.path)
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / MEDIA_DIR / relative, target)


def _secret_key_restore(source: Path) -> None:
    kept = source / SECRET_KEY_FILE
    path = Path(settings.DATA_DIR) / "secret_key"
    if not kept.is_file() or os.environ.get("ONDAS_SECRET_KEY"):
        return
    path.write_text(kept.read_text())
    path.chmod(0o600)


def backup_restore(*, source: Path) -> RestoreReport:
    """Restore the backup in ``source``; raise BackupError before writing if refused."""
    description, manifest = _load(source)
    to_apply = _check_vendor_and_migrations(description)
    _check_empty()
    _verify(source, description, manifest)

    db_file = source / description["database"]["file"]
    if description["database"]["vendor"] == "sqlite":
        _restore_sqlite(db_file)
    else:
        _restore_postgresql(db_file)
    _media_restore(source, manifest)
    if description.get("secret_key"):
        _secret_key_restore(source)

    expected: dict[str, int] = description["tables"]
    with connection.cursor() as cursor:
        counted = table_counts(cursor, vendor=vendor())
    differ = sorted(
        name
        for name in expected.keys() | counted.keys()
        if expected.get(name) != counted.get(name)
    )
    if differ:
        detail = ", ".join(
            f"{n}: {expected.get(n)} in the backup, {counted.get(n)} restored"
            for n in differ[:5]
        )
        raise BackupError(f"the restored rows differ from backup.json: {detail}.")
    return RestoreReport(
        tables=len(counted),
        rows=sum(counted.values()),
        media_files=len(manifest),
        migrations_to_apply=to_apply,
    )
