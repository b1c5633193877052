"""`ondas storage migrate`: audio moved between local disk and the S3 bucket
(a real moto server), each copy verified before its row is switched; a run
killed midway is run again and goes on."""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from ondas.catalog.models import AudioFile
from ondas.catalog.services import audio_file_create
from ondas.ops.cli import main
from ondas.ops.storage import StorageMigrateError, storage_migrate
from tests.support.s3 import BUCKET, S3Server
from tests.support.servers import ONDAS, Site, temporary_site

pytestmark = pytest.mark.slow  # a moto server process per module

MANY = """
import io, random
from ondas.catalog.services import audio_file_create
noise = random.Random(3)
for n in range({count}):
    audio_file_create(name=f"many-{{n}}.mp3", content=io.BytesIO(noise.randbytes({size})),
                      mime_type="audio/mpeg", duration_seconds=60.0)
"""


def _make(n: int, size: int = 70_000) -> AudioFile:
    return audio_file_create(
        name=f"track-{n}.mp3",
        content=io.BytesIO(random.Random(n).randbytes(size + n)),
        mime_type="audio/mpeg",
        duration_seconds=30.0,
    )


def _object(s3: S3Server, key: str) -> bytes:
    body: bytes = s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body


def test_storage_migrate_to_s3_verifies_switches_and_keeps_local_files(
    db: None, s3_beside_local: S3Server, media_root: Path, client: Client
) -> None:
    made = [_make(n) for n in range(3)]
    seen: list[tuple[int, int]] = []

    report = storage_migrate(to="s3", progress=lambda d, t, b, n: seen.append((d, t)))

    assert (report.moved, report.total, report.failed) == (3, 3, [])
    assert seen == [(1, 3), (2, 3), (3, 3)]
    for audio in made:
        row = AudioFile.objects.get(pk=audio.pk)
        assert row.storage == "s3"
        assert hashlib.sha256(_object(s3_beside_local, row.file.name)).hexdigest() == (
            row.sha256
        )
        assert (media_root / row.file.name).is_file()  # kept without the flag
    # Served from the bucket now, the same bytes.
    served = client.get(f"/audio/{made[0].pk}.mp3", HTTP_RANGE="bytes=0-9")
    assert served.status_code == 206
    assert (
        b"".join(served.streaming_content)
        == (media_root / made[0].file.name).read_bytes()[:10]
    )


def test_storage_migrate_delete_source_and_back_to_local(
    db: None, s3_beside_local: S3Server, media_root: Path
) -> None:
    made = [_make(n) for n in range(2)]
    originals = {a.pk: (media_root / a.file.name).read_bytes() for a in made}
    storage_migrate(to="s3")

    # A second run with the flag deletes what the first one kept.
    again = storage_migrate(to="s3", delete_source=True)
    assert (again.moved, again.deleted) == (0, 2)
    assert not any(p.is_file() for p in media_root.rglob("*.mp3"))

    back = storage_migrate(to="local", delete_source=True)

    assert (back.moved, back.deleted, back.failed) == (2, 2, [])
    assert s3_beside_local.keys() == []
    for audio in made:
        row = AudioFile.objects.get(pk=audio.pk)
        assert row.storage == "local"
        assert (media_root / row.file.name).read_bytes() == originals[audio.pk]
    assert not list(media_root.rglob(".migrate-*"))


def test_storage_migrate_leaves_a_file_that_does_not_match_its_row(
    db: None, s3_beside_local: S3Server, media_root: Path
) -> None:
    good, bad = _make(1), _make(2)
    (media_root / bad.file.name).write_bytes(b"not what was uploaded")

    report = storage_migrate(to="s3")

    assert report.moved == 1 and len(report.failed) == 1
    assert f"audio {bad.pk}:" in report.failed[0]
    assert AudioFile.objects.get(pk=good.pk).storage == "s3"
    assert AudioFile.objects.get(pk=bad.pk).storage == "local"
    assert s3_beside_local.keys() == [good.file.name]


def test_storage_migrate_replaces_a_bad_copy_left_by_a_killed_run(
    db: None, s3_beside_local: S3Server, media_root: Path
) -> None:
    audio = _make(4)
    s3_beside_local.client().put_object(
        Bucket=BUCKET, Key=audio.file.name, Body=b"half of it"
    )

    report = storage_migrate(to="s3")

    assert report.moved == 1
    assert (
        _object(s3_beside_local, audio.file.name)
        == (media_root / audio.file.name).read_bytes()
    )


def test_storage_migrate_without_a_bucket_says_what_to_set(db: None) -> None:
    with pytest.raises(StorageMigrateError, match="not configured"):
        storage_migrate(to="s3")


@pytest.mark.django_db(transaction=True)
def test_ondas_storage_migrate_command_refuses_without_a_bucket(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["storage", "migrate", "--to", "s3"])
    assert exited.value.code == 1
    assert "'s3' storage, which is not configured" in capsys.readouterr().err


# A real run, killed with SIGKILL, then run again --------------------------------


@pytest.fixture
def local_site(s3_server: S3Server) -> Iterator[Site]:
    with temporary_site(size=1000, extra_env=s3_server.env) as site:
        subprocess.run(
            [ONDAS, "manage", "shell", "-c", MANY.format(count=12, size=600_000)],
            env=site.env,
            check=True,
            timeout=180,
        )
        yield site
    client = s3_server.client()
    for key in s3_server.keys():
        client.delete_object(Bucket=BUCKET, Key=key)


def _rows(site: Site) -> list[tuple[int, str, str, str]]:
    with sqlite3.connect(site.root / "data" / "ondas.sqlite3") as db:
        return db.execute(
            "SELECT id, file, storage, sha256 FROM catalog_audiofile ORDER BY id"
        ).fetchall()


def test_storage_migrate_killed_midway_then_run_again_finishes(
    local_site: Site, s3_server: S3Server
) -> None:
    run = subprocess.Popen(
        [ONDAS, "storage", "migrate", "--to", "s3"],
        env=local_site.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert run.stdout is not None
        first = run.stdout.readline().decode()
        os.killpg(run.pid, signal.SIGKILL)
    finally:
        run.wait(timeout=30)
    assert re.match(r"\[#*\.*\] 1/13 files", first), first
    rows = _rows(local_site)
    switched = [row for row in rows if row[2] == "s3"]
    assert 1 <= len(switched) < len(rows), "killed after the first file"
    # No row names an object that is not there with its bytes.
    for _pk, key, _storage, sha256 in switched:
        assert hashlib.sha256(_object(s3_server, key)).hexdigest() == sha256

    again = subprocess.run(
        [ONDAS, "storage", "migrate", "--to", "s3"],
        env=local_site.env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert again.returncode == 0, again.stdout + again.stderr
    left = len(rows) - len(switched)
    assert f"{left} of {left} files moved to s3" in again.stdout
    for _pk, key, storage, sha256 in _rows(local_site):
        assert storage == "s3"
        assert hashlib.sha256(_object(s3_server, key)).hexdigest() == sha256
        assert (local_site.root / "media" / key).is_file()  # kept
