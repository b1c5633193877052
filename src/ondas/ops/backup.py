"""`ondas backup DIR`: a consistent copy of the database and the media.

A backup directory holds:

- ``database.sqlite3`` (SQLite's online backup API, safe while the server
  writes) or ``database.pgdump`` (``pg_dump --format=custom``, taken in the
  same snapshot as the row counts);
- ``media/``: every file under MEDIA_ROOT, copied (never hard-linked: a hard
  link shares the bytes, so a file rewritten in place would change the backup
  too);
- ``manifest.json``: each media file's relative path, size and sha256;
- ``s3_manifest.json`` when an S3 bucket is configured: its objects listed
  (key, size, ETag; audio rows' sha256), never copied (``ops.backup_s3``);
- ``secret_key`` when the key lives in the data directory (private feed
  addresses are derived from it);
- ``backup.json``, written last: the Ondas version, the database vendor, the
  migrations applied per app, when it was made, and the rows of every table.

Everything is written to ``DIR.tmp`` and renamed to ``DIR`` at the end, so a
backup killed midway never looks complete. The database is copied before the
media: a file uploaded meanwhile is an extra file, never a missing one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction

import ondas
from ondas.ops.backup_s3 import S3BackupError, s3_manifest_write

FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PGDUMP_FILE = "database.pgdump"
MEDIA_DIR = "media"
MANIFEST = "manifest.json"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
DESCRIPTION = "backup.json"
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says why."""


class _Cursor(Protocol):
    def execute(self, sql: str, /) -> object: ...
    def fetchall(self) -> list[Any]: ...


@dataclass(frozen=True)
class MediaFile:
    path: str  # relative to MEDIA_ROOT, with "/" separators
    size: int
    sha256: str


def vendor() -> str:
    """The database vendor of this instance: "sqlite" or "postgresql"."""
    return str(connection.vendor)


def table_names(cursor: _Cursor, *, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    else:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename"
        )
    return [row[0] for row in cursor.fetchall()]


def table_counts(cursor: _Cursor, *, vendor: str) -> dict[str, int]:
    """The number of rows in every table, by name."""
    counts = {}
    for name in table_names(cursor, vendor=vendor):
        quoted = '"' + name.replace('"', '""') + '"'
        cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 - a table name
        counts[name] = int(cursor.fetchall()[0][0])
    return counts


def migrations_applied(cursor: _Cursor) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_hashed(source: Path, target: Path) -> MediaFile:
    """Copy one file, hashing the bytes on the way; return what was written."""
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    shutil.copystat(source, target)
    return MediaFile(path="", size=size, sha256=digest.hexdigest())


def media_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root`` (symbolic links are not followed)."""
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path


def pg_environment() -> dict[str, str]:
    """libpq's variables for the default database (the password stays off argv)."""
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    sslmode = db.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install PostgreSQL's client programs "
            "(Debian: apt install postgresql-client), of the server's major "
            "version or newer."
        )
    return found


def run_tool(argv: list[str], *, env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603 - our own arguments, no shell
        argv, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            f"{Path(argv[0]).name} failed ({done.returncode}): {done.stderr.strip()}"
        )


def _database_sqlite(work: Path) -> tuple[str, dict[str, list[str]], dict[str, int]]:
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    target = sqlite3.connect(str(work / SQLITE_FILE))
    try:
        # Copies page by page; pages a writer changes meanwhile are copied again,
        # so the result is the database as of one moment.
        source.backup(target)
        # One self-contained file: no -wal beside it to lose.
        target.execute("PRAGMA journal_mode=DELETE")
        cursor = target.cursor()
        migrations = migrations_applied(cursor)
        counts = table_counts(cursor, vendor="sqlite")
    finally:
        target.close()
        source.close()
    return SQLITE_FILE, migrations, counts


def _database_postgresql(
    work: Path,
) -> tuple[str, dict[str, list[str]], dict[str, int]]:
    pg_dump = pg_tool("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        # pg_dump reads the snapshot this transaction exports, so the counts
        # below describe exactly the rows in the dump.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchall()[0][0])
        run_tool(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={work / PGDUMP_FILE}",
            ],
            env=pg_environment(),
        )
        migrations = migrations_applied(cursor)
        counts = table_counts(cursor, vendor="postgresql")
    return PGDUMP_FILE, migrations, counts


def _media_copy(*, root: Path, target: Path) -> list[MediaFile]:
    copied = []
    for path in media_files(root):
        relative = path.relative_to(root).as_posix()
        written = copy_hashed(path, target / relative)
        copied.append(
            MediaFile(path=relative, size=written.size, sha256=written.sha256)
        )
    return copied


def _secret_key_copy(work: Path) -> bool:
    """Copy the data directory's secret key, unless the key comes from elsewhere."""
    path = Path(settings.DATA_DIR) / "secret_key"
    try:
        kept = path.read_text().strip()
    except FileNotFoundError:
        return False
    if kept != settings.SECRET_KEY:  # ONDAS_SECRET_KEY: the operator keeps it
        return False
    target = work / SECRET_KEY_FILE
    target.write_text(kept + "\n")
    target.chmod(0o600)
    return True


def _refuse_target(target: Path, work: Path, media_root: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not empty: choose a new directory.")
    if work.exists():
        raise BackupError(
            f"{work} exists: another backup is running, or one was stopped "
            "before it finished (it is incomplete); remove it and try again."
        )
    if target.resolve().is_relative_to(media_root.resolve()):
        raise BackupError(f"{target} is inside MEDIA_ROOT ({media_root}).")


def backup_create(
    *, target: Path, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> dict[str, Any]:
    """Write a complete backup to ``target``; return what backup.json says."""
    target = target.absolute()
    work = target.with_name(target.name + ".tmp")
    media_root = Path(settings.MEDIA_ROOT)
    _refuse_target(target, work, media_root)
    created_at = now()
    work.mkdir(parents=True, mode=0o700)
    try:
        kind = vendor()
        if kind == "sqlite":
            db_file, migrations, counts = _database_sqlite(work)
        elif kind == "postgresql":
            db_file, migrations, counts = _database_postgresql(work)
        else:
            raise BackupError(f"cannot back up a {kind} database.")
        (work / MEDIA_DIR).mkdir()
        files = _media_copy(root=media_root, target=work / MEDIA_DIR)
        manifest = [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in files]
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        try:
            # What is in the bucket is listed, not copied (ops.backup_s3).
            bucket = s3_manifest_write(work)
        except S3BackupError as exc:
            raise BackupError(str(exc)) from None
        description = {
            "format": FORMAT,
            "ondas_version": ondas.__version__,
            "created_at": created_at.isoformat(),
            "database": {
                "vendor": kind,
                "file": db_file,
                "size": (work / db_file).stat().st_size,
                "sha256": file_sha256(work / db_file),
            },
            "migrations": migrations,
            "tables": counts,
            "media": {
                "mode": "copied",
                "files": len(files),
                "bytes": sum(f.size for f in files),
                "manifest_sha256": file_sha256(work / MANIFEST),
                "s3": bucket,
            },
            "secret_key": _secret_key_copy(work),
        }
        (work / DESCRIPTION).write_text(json.dumps(description, indent=1) + "\n")
        _fsync_tree(work)
        if target.exists():  # an empty directory: replaced by the finished one
            target.rmdir()
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return description


def _fsync_tree(root: Path) -> None:
    for directory, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(Path(directory) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
