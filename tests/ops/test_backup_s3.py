"""`ondas backup` with audio in the S3 bucket (a real moto server): the
bucket is listed in s3_manifest.json, never copied, and the command says so."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.support.s3 import BUCKET, S3Server
from tests.support.servers import ONDAS, Site, temporary_site

pytestmark = pytest.mark.slow  # a moto server and a site of their own


@pytest.fixture
def s3_site(s3_server: S3Server) -> Iterator[Site]:
    env = s3_server.env | {"ONDAS_MEDIA_STORAGE": "s3"}
    with temporary_site(size=123_456, extra_env=env) as site:
        yield site
    client = s3_server.client()
    for key in s3_server.keys():
        client.delete_object(Bucket=BUCKET, Key=key)


def test_backup_with_audio_in_the_bucket_lists_it_and_copies_none(
    s3_site: Site, s3_server: S3Server
) -> None:
    target = s3_site.root / "backup"

    done = subprocess.run(
        [ONDAS, "backup", str(target)],
        env=s3_site.env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stderr
    assert f"1 objects in the S3 bucket {BUCKET} were listed" in done.stdout
    assert "not copied" in done.stdout
    description = json.loads((target / "backup.json").read_text())
    assert description["media"]["s3"] == {
        "bucket": BUCKET,
        "manifest": "s3_manifest.json",
        "objects": 1,
        "bytes": len(s3_site.data),
        "audio_rows": 1,
        "copied": False,
    }
    listed = json.loads((target / "s3_manifest.json").read_text())
    (key,) = s3_server.keys()
    assert [o["key"] for o in listed["objects"]] == [key]
    assert listed["audio"][0]["sha256"] == hashlib.sha256(s3_site.data).hexdigest()
    assert not list((target / "media").rglob("*.mp3"))  # the bytes stay in the bucket


def test_backup_refuses_rows_in_a_bucket_that_is_not_configured(
    s3_site: Site,
) -> None:
    env = {
        k: v
        for k, v in s3_site.env.items()
        if not k.startswith("ONDAS_S3_") and k != "ONDAS_MEDIA_STORAGE"
    }
    target = s3_site.root / "backup"

    done = subprocess.run(
        [ONDAS, "backup", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 1
    assert "audio rows name the S3 bucket, but no bucket is configured" in done.stderr
    assert not target.exists()
