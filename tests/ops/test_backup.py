"""`ondas backup DIR` and `ondas restore DIR`, run as commands on sites of their own.

Each site is a data directory (and, for PostgreSQL, a database of its own on
the server of ``DATABASE_URL`` or on a throwaway cluster): a backup of one is
restored into a fresh one and compared table by table, file by file, and by a
listener's resume position.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.ops.test_storage_faults_postgres import Cluster
from tests.support.servers import ONDAS

SEED = """
import io, random
from datetime import UTC, datetime
from ondas.accounts.services import user_create
from ondas.catalog.services import audio_file_create, episode_create, show_create
from ondas.playback.services import progress_save

noise = random.Random(7)
show = show_create(title="Backups on Tuesday", author="Ops", language="en",
                   categories=["Technology"])
listener = user_create(email="listener@example.com", password="a long passphrase 1")
for n in range(3):
    audio = audio_file_create(name=f"part-{n}.mp3",
                              content=io.BytesIO(noise.randbytes(40_000 + n)),
                              mime_type="audio/mpeg", duration_seconds=600.0)
    episode = episode_create(show=show, guid=f"ep-{n}", title=f"Episode {n}",
                             published_at=datetime(2026, 1, 1 + n, tzinfo=UTC),
                             duration_seconds=600.0, audio=audio)
when = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
progress_save(user=listener, kind="episode", item_id=episode.pk,
              position_seconds=421.25, played_at=when, device="phone", now=when)
"""
RESUME = """
from ondas.accounts.models import User
from ondas.catalog.models import Episode
from ondas.playback.models import ListeningProgress
user = User.objects.get(email="listener@example.com")
episode = Episode.objects.get(guid="ep-2")
row = ListeningProgress.objects.get(user=user, kind="episode", item_id=episode.pk)
print("RESUME=" + repr((row.position_seconds, row.played_at.isoformat(), row.device)))
"""
COUNTS = """
import json
from django.db import connection
with connection.cursor() as cursor:
    counts = {}
    for table in connection.introspection.table_names(cursor):
        cursor.execute("SELECT COUNT(*) FROM " + connection.ops.quote_name(table))
        counts[table] = cursor.fetchone()[0]
print("COUNTS=" + json.dumps(counts, sort_keys=True))
"""
# The backup stops with an error once the database is copied, before the media.
INTERRUPTED = """
from ondas.ops import backup
def stop_here(**kwargs):
    raise RuntimeError("stopped after the database copy")
backup._media_copy = stop_here
from ondas.ops.cli import main
main(["backup", {target!r}])
"""


def _site(root: Path, *, database_url: str = "") -> dict[str, str]:
    root.mkdir(parents=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ONDAS_", "PROMETHEUS_")) and key != "DATABASE_URL"
    }
    env |= {
        "ONDAS_DATA_DIR": str(root / "data"),
        "ONDAS_MEDIA_ROOT": str(root / "media"),
        "ONDAS_LOG_LEVEL": "WARNING",
        "ONDAS_TASKS_BACKEND": "immediate",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _ondas(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ONDAS, *argv], env=env, capture_output=True, text=True, timeout=180
    )


def _ok(env: dict[str, str], *argv: str) -> str:
    done = _ondas(env, *argv)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _printed(env: dict[str, str], script: str, key: str) -> str:
    out = _ok(env, "manage", "shell", "-c", script)
    return next(line for line in out.splitlines() if line.startswith(key + "="))[
        len(key) + 1 :
    ]


def _seeded(env: dict[str, str]) -> None:
    _ok(env, "manage", "migrate", "--noinput", "-v", "0")
    _ok(env, "manage", "shell", "-c", SEED)


def _checksums(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _state(env: dict[str, str]) -> tuple[dict[str, int], str]:
    """Every table's rows and the listener's resume position, in one process."""
    out = _ok(env, "manage", "shell", "-c", COUNTS + RESUME)
    lines = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return json.loads(lines["COUNTS"]), lines["RESUME"]


def _assert_same_instance(source: dict[str, str], restored: dict[str, str]) -> None:
    counts, resume = _state(source)
    assert _state(restored) == (counts, resume)
    assert counts["accounts_user"] == 1 and counts["catalog_episode"] == 3
    assert resume == "(421.25, '2026-02-01T08:30:00+00:00', 'phone')"
    media = _checksums(Path(source["ONDAS_MEDIA_ROOT"]))
    assert len(media) >= 3
    assert _checksums(Path(restored["ONDAS_MEDIA_ROOT"])) == media


@pytest.fixture
def work() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="ondas-backup-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def sqlite_backup() -> Iterator[tuple[dict[str, str], Path]]:
    """One seeded SQLite site and its backup, shared by the tests that only read."""
    root = Path(tempfile.mkdtemp(prefix="ondas-backup-src-"))
    try:
        env = _site(root / "site")
        _seeded(env)
        _ok(env, "backup", str(root / "backup"))
        yield env, root / "backup"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_backup_restore_into_a_fresh_sqlite_site_keeps_every_row_and_file(
    sqlite_backup: tuple[dict[str, str], Path], work: Path
) -> None:
    source, backup = sqlite_backup
    description = json.loads((backup / "backup.json").read_text())
    assert description["database"]["vendor"] == "sqlite"
    assert description["media"]["mode"] == "copied"
    assert "0001_user_initial" in description["migrations"]["accounts"]
    assert description["tables"]["playback_listeningprogress"] == 1
    manifest = json.loads((backup / "manifest.json").read_text())
    assert {entry["sha256"] for entry in manifest} == set(
        _checksums(Path(source["ONDAS_MEDIA_ROOT"])).values()
    )
    # A self-contained file, in rollback-journal mode: no -wal beside it.
    with sqlite3.connect(backup / "database.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)

    restored = _site(work / "fresh")
    out = _ok(restored, "restore", str(backup))
    assert "the counts match the backup" in out
    _assert_same_instance(source, restored)
    # The key private feed addresses are derived from comes back with the data.
    assert (work / "fresh" / "data" / "secret_key").read_text() == (
        Path(source["ONDAS_DATA_DIR"]) / "secret_key"
    ).read_text()


def test_restore_of_a_tampered_media_file_is_refused_and_writes_nothing(
    sqlite_backup: tuple[dict[str, str], Path], work: Path
) -> None:
    _source, original = sqlite_backup
    backup = work / "backup"
    shutil.copytree(original, backup)
    victim = next(
        path for path in sorted((backup / "media").rglob("*")) if path.is_file()
    )
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF  # same size, one byte different
    victim.write_bytes(bytes(data))

    restored = _site(work / "fresh")
    done = _ondas(restored, "restore", str(backup))
    assert done.returncode == 1
    relative = victim.relative_to(backup).as_posix()
    assert done.stderr.strip() == (
        f"ondas restore: {relative} does not match the manifest (size or sha256): "
        "the backup is damaged; nothing was restored."
    )
    media = work / "fresh" / "media"
    assert not media.exists() or not any(media.rglob("*"))
    counts = json.loads(_printed(restored, COUNTS, "COUNTS"))
    assert counts == {}  # not even the tables: the database was never replaced


def test_restore_into_an_instance_with_data_is_refused(
    sqlite_backup: tuple[dict[str, str], Path],
) -> None:
    source, backup = sqlite_backup
    before = _printed(source, COUNTS, "COUNTS")
    done = _ondas(source, "restore", str(backup))
    assert done.returncode == 1
    assert done.stderr.startswith(
        "ondas restore: restore needs an empty instance, and this one has data: "
        "rows in "
    )
    assert "accounts_user (1)" in done.stderr
    assert "3 file(s) in" in done.stderr
    assert _printed(source, COUNTS, "COUNTS") == before


def test_backup_into_a_non_empty_directory_is_refused(
    sqlite_backup: tuple[dict[str, str], Path], work: Path
) -> None:
    source, _backup = sqlite_backup
    target = work / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    done = _ondas(source, "backup", str(target))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"ondas backup: {target} exists and is not empty: choose a new directory."
    )
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert not (work / "taken.tmp").exists()


def test_backup_stopped_after_the_database_copy_leaves_nothing_that_looks_complete(
    sqlite_backup: tuple[dict[str, str], Path], work: Path
) -> None:
    source, _backup = sqlite_backup
    target = work / "nightly"
    script = INTERRUPTED.format(target=str(target))
    done = _ondas(source, "manage", "shell", "-c", script)
    assert done.returncode != 0
    assert "stopped after the database copy" in done.stderr
    assert sorted(p.name for p in work.iterdir()) == []

    # What a backup killed with -9 leaves (DIR.tmp, no backup.json) is refused
    # by restore, and a new backup to the same place says why it cannot start.
    partial = work / "nightly.tmp"
    partial.mkdir()
    shutil.copy(_backup / "database.sqlite3", partial / "database.sqlite3")
    refused = _ondas(_site(work / "fresh"), "restore", str(partial))
    assert refused.returncode == 1
    assert "has no backup.json: it is not a backup, or one that did not finish" in (
        refused.stderr
    )
    again = _ondas(source, "backup", str(target))
    assert again.returncode == 1
    assert "was stopped before it finished" in again.stderr
    assert not target.exists()


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server: DATABASE_URL's when set, or a throwaway cluster."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        yield url
        return
    root = Path(tempfile.mkdtemp(prefix="ondas-backup-pg-"))
    shutil.chown(root, "postgres")
    cluster = Cluster(root)
    cluster.init()
    cluster.start()
    try:
        yield cluster.url
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[Callable[[], str]]:
    """Make empty databases on the server; drop them after the test."""
    made: list[str] = []
    parts = urlsplit(pg_server)
    admin = urlunsplit(parts._replace(path="/postgres"))

    def make() -> str:
        name = f"ondas_backup_{secrets.token_hex(4)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return urlunsplit(parts._replace(path=f"/{name}"))

    yield make
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_restore_on_postgresql_keeps_every_row_and_file(
    pg_database: Callable[[], str], work: Path
) -> None:
    source = _site(work / "source", database_url=pg_database())
    _seeded(source)
    backup = work / "backup"
    out = _ok(source, "backup", str(backup))
    assert "postgresql database" in out
    description = json.loads((backup / "backup.json").read_text())
    assert description["database"]["file"] == "database.pgdump"
    assert (backup / "database.pgdump").read_bytes()[:5] == b"PGDMP"  # custom format

    # Into a database `migrate` has already prepared (tables, but no one's rows).
    restored = _site(work / "fresh", database_url=pg_database())
    _ok(restored, "manage", "migrate", "--noinput", "-v", "0")
    _ok(restored, "restore", str(backup))
    _assert_same_instance(source, restored)

    # And into a database nothing has touched.
    untouched = _site(work / "untouched", database_url=pg_database())
    _ok(untouched, "restore", str(backup))
    _assert_same_instance(source, untouched)


def test_restore_on_another_database_vendor_is_refused(
    sqlite_backup: tuple[dict[str, str], Path],
    pg_database: Callable[[], str],
    work: Path,
) -> None:
    _source, backup = sqlite_backup
    restored = _site(work / "fresh", database_url=pg_database())
    done = _ondas(restored, "restore", str(backup))
    assert done.returncode == 1
    assert done.stderr.startswith(
        "ondas restore: this backup is of a sqlite database and this instance "
        "runs on postgresql"
    )


def test_backup_on_postgresql_without_pg_dump_says_what_to_install(
    pg_database: Callable[[], str], work: Path
) -> None:
    source = _site(work / "source", database_url=pg_database())
    _ok(source, "manage", "migrate", "--noinput", "-v", "0")
    source["PATH"] = str(work / "nothing-here")
    done = _ondas(source, "backup", str(work / "backup"))
    assert done.returncode == 1
    assert "pg_dump is not on PATH: install PostgreSQL's client programs" in (
        done.stderr
    )
    assert not (work / "backup").exists() and not (work / "backup.tmp").exists()
