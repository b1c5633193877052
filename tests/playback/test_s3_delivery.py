"""Audio whose bytes are in the S3 bucket (a real moto server), answered by
Ondas: streamed itself, handed to nginx, or redirected; the right to listen
is checked on every request, as for local files."""

from __future__ import annotations

import hashlib
import io
import random
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.catalog.models import AudioFile, Episode
from ondas.catalog.services import audio_file_create, episode_create, show_create
from tests.support.s3 import BUCKET, S3Server

pytestmark = pytest.mark.slow  # a moto server process per module

DATA = random.Random(5).randbytes(300_000)


def _body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.fixture
def audio(db: None, s3: S3Server) -> AudioFile:
    return audio_file_create(
        name="cumbia.mp3",
        content=io.BytesIO(DATA),
        mime_type="audio/mpeg",
        duration_seconds=10.0,
    )


def _exclusive(audio: AudioFile) -> None:
    show = show_create(title="Sala", author="Ondas", language="es")
    episode_create(
        show=show,
        guid="exclusive-s3",
        title="Only for subscribers",
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
        access=Episode.Access.EXCLUSIVE,
        audio=audio,
    )


def test_audio_file_create_on_s3_stores_the_object_and_names_the_bucket_on_its_row(
    audio: AudioFile,
    s3: S3Server,
    media_root: Path,
) -> None:
    row = AudioFile.objects.get(pk=audio.pk)

    assert row.storage == "s3"
    assert s3.keys() == [row.file.name]
    stored = s3.client().get_object(Bucket=BUCKET, Key=row.file.name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == row.sha256
    assert not any(p.is_file() for p in media_root.rglob("*"))  # nothing on disk


def test_streamed_from_s3_range_head_and_validators_as_for_a_local_file(
    client: Client, audio: AudioFile
) -> None:
    path = f"/audio/{audio.pk}.mp3"

    whole = client.get(path)
    part = client.get(path, HTTP_RANGE="bytes=1000-1999")
    head = client.head(path)
    etag = whole["ETag"]
    same = client.get(path, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=etag)
    changed = client.get(path, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE='"other"')
    cached = client.get(path, HTTP_IF_NONE_MATCH=etag)
    past_end = client.get(path, HTTP_RANGE=f"bytes={len(DATA)}-")

    assert whole.status_code == 200 and _body(whole) == DATA
    assert whole["Content-Length"] == str(len(DATA))
    assert whole["Accept-Ranges"] == "bytes"
    assert part.status_code == 206 and _body(part) == DATA[1000:2000]
    assert part["Content-Range"] == f"bytes 1000-1999/{len(DATA)}"
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(DATA)) and head["ETag"] == etag
    assert same.status_code == 206 and _body(same) == DATA[10:20]
    assert changed.status_code == 200 and _body(changed) == DATA  # If-Range: whole
    assert cached.status_code == 304
    assert past_end.status_code == 416
    assert past_end["Content-Range"] == f"bytes */{len(DATA)}"
    for answer in (whole, part, head):
        assert "X-Accel-Redirect" not in answer and "Location" not in answer


def test_exclusive_audio_on_s3_without_the_right_gets_no_byte(
    settings: Settings, client: Client, audio: AudioFile
) -> None:
    _exclusive(audio)
    for accel in ("", "/_protected_media/"):
        settings.ONDAS_AUDIO_ACCEL_PREFIX = accel
        for mode in ("proxy", "redirect"):
            settings.ONDAS_S3_DELIVERY = mode
            refused = client.get(f"/audio/{audio.pk}.mp3", HTTP_RANGE="bytes=0-99")
            assert refused.status_code == 403
            assert "X-Accel-Redirect" not in refused and "Location" not in refused
            assert BUCKET not in refused.content.decode()


def test_missing_object_is_ondas_404_on_every_path(
    settings: Settings,
    client: Client,
    audio: AudioFile,
    s3: S3Server,
) -> None:
    s3.client().delete_object(Bucket=BUCKET, Key=audio.file.name)

    streamed = client.get(f"/audio/{audio.pk}.mp3")
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    checked = client.get(f"/audio/{audio.pk}.mp3", HTTP_IF_NONE_MATCH='"x"')

    assert streamed.status_code == 404
    assert checked.status_code == 404 and "X-Accel-Redirect" not in checked


def test_behind_nginx_s3_audio_is_an_x_accel_redirect_to_a_presigned_request(
    settings: Settings,
    client: Client,
    audio: AudioFile,
    s3: S3Server,
) -> None:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"

    answer = client.get(f"/audio/{audio.pk}.mp3", HTTP_RANGE="bytes=100-199")
    whole = client.get(f"/audio/{audio.pk}.mp3", HTTP_RANGE="bytes=5-1,junk")
    rights = client.get(f"/audio/{audio.pk}/rights")

    target = urlsplit(answer["X-Accel-Redirect"])
    prefix = f"/_s3_media/{audio.pk}/l/100-199/{BUCKET}/"
    assert answer.status_code == 200 and answer.content == b""
    assert target.path == prefix + audio.file.name
    assert parse_qs(target.query)["X-Amz-Expires"] == ["60"]
    assert answer["Ondas-Audio"] == str(audio.pk)
    assert urlsplit(whole["X-Accel-Redirect"]).path.startswith(
        f"/_s3_media/{audio.pk}/l/-/"
    )
    # nginx cannot send it from disk: its question gets no, the view answers.
    assert rights.status_code == 403
    # What nginx will send the endpoint is a request S3 honours as it is.
    signed = target.path.removeprefix(prefix.removesuffix(f"{BUCKET}/"))
    request = urllib.request.Request(
        s3.endpoint + "/" + signed + "?" + target.query,
        headers={"Range": "bytes=100-199"},
    )
    with urllib.request.urlopen(request, timeout=10) as fetched:  # noqa: S310 - ours
        assert fetched.status == 206 and fetched.read() == DATA[100:200]


def test_behind_nginx_ondas_answers_the_validators_of_s3_audio_itself(
    settings: Settings, client: Client, audio: AudioFile
) -> None:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    etag = client.get(f"/audio/{audio.pk}.mp3")  # no validators: no endpoint call
    head = s3_etag(audio)

    cached = client.get(f"/audio/{audio.pk}.mp3", HTTP_IF_NONE_MATCH=head)
    stale = client.get(
        f"/audio/{audio.pk}.mp3", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"old"'
    )
    fresh = client.get(
        f"/audio/{audio.pk}.mp3", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=head
    )

    assert "X-Accel-Redirect" in etag
    assert cached.status_code == 304 and cached["ETag"] == head
    assert urlsplit(stale["X-Accel-Redirect"]).path.startswith(
        f"/_s3_media/{audio.pk}/l/-/"
    )
    assert urlsplit(fresh["X-Accel-Redirect"]).path.startswith(
        f"/_s3_media/{audio.pk}/l/0-9/"
    )


def s3_etag(audio: AudioFile) -> str:
    from ondas.playback.s3_delivery import object_stat

    return object_stat(str(audio.file.name)).etag


def test_redirect_mode_is_a_302_to_a_url_that_expires_in_minutes(
    settings: Settings, client: Client, audio: AudioFile
) -> None:
    settings.ONDAS_S3_DELIVERY = "redirect"
    settings.ONDAS_S3_URL_SECONDS = 240

    answer = client.get(f"/audio/{audio.pk}.mp3")

    assert answer.status_code == 302
    assert answer["Cache-Control"] == "private, no-store"
    location = answer["Location"]
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["240"]
    request = urllib.request.Request(location, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(request, timeout=10) as fetched:  # noqa: S310 - ours
        assert fetched.status == 206 and fetched.read() == DATA[:100]
