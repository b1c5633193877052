"""Studio uploads land in the S3 bucket when ONDAS_MEDIA_STORAGE=s3 (a real
moto server); the tus chunk area stays on local disk and is emptied."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ondas.accounts.models import User
from ondas.catalog.models import AudioFile
from tests.studio.test_uploads_tus import _create, _patch, _signed_in
from tests.support.s3 import BUCKET, S3Server
from tests.support.studio_audio import audio_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # a moto server process


def _stored(s3: S3Server, key: str) -> bytes:
    body: bytes = s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body


def test_tus_upload_on_s3_stores_the_object_and_leaves_no_local_bytes(
    creator: User, s3: S3Server, media_root: Path, upload_dir: Path
) -> None:
    data = audio_bytes("mp3", seconds=3)
    client = _signed_in(creator)
    url = _create(client, len(data))

    assert _patch(client, url, data[:4000], offset=0).status_code == 204
    last = _patch(client, url, data[4000:], offset=4000)

    assert last.status_code == 204
    audio = AudioFile.objects.get()
    assert audio.storage == "s3"
    assert audio.duration_seconds == pytest.approx(3, abs=0.2)  # read from the bucket
    assert s3.keys() == [audio.file.name]
    assert _stored(s3, audio.file.name) == data
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    assert [p for p in upload_dir.rglob("*") if p.is_file()] == []


def test_form_upload_on_s3_stores_the_object(creator: User, s3: S3Server) -> None:
    data = audio_bytes("mp3", seconds=2)

    response = _signed_in(creator).post(
        reverse("studio:upload-form"),
        {"file": SimpleUploadedFile("tone.mp3", data, content_type="audio/mpeg")},
    )

    assert response.status_code == 201, response.content
    audio = AudioFile.objects.get()
    assert audio.storage == "s3"
    assert hashlib.sha256(_stored(s3, audio.file.name)).hexdigest() == audio.sha256
