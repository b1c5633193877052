"""The tus 1.0 endpoints, request by request, through Django's test client."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils.http import parse_http_date
from django.utils.timezone import now as timezone_now
from pytest_django import DjangoCaptureOnCommitCallbacks as CaptureOnCommit
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import AudioFile
from ondas.studio.models import Upload
from ondas.studio.uploads.services import uploads_remove_expired_task
from tests.support.studio_audio import audio_bytes

pytestmark = pytest.mark.django_db
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
CREATE_URL = "/studio/uploads/"


def _metadata(**pairs: str) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in pairs.items()
    )


def _create(client: Client, length: int, *, filename: str = "episode.mp3") -> str:
    response = client.post(
        CREATE_URL,
        **TUS,
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=_metadata(filename=filename, filetype="audio/mpeg"),
    )
    assert response.status_code == 201, response.content
    return str(response["Location"])


def _patch(client: Client, url: str, body: bytes, *, offset: int, **extra: str):  # type: ignore[no-untyped-def]
    return client.generic(
        "PATCH",
        url,
        data=body,
        content_type="application/offset+octet-stream",
        **TUS,
        HTTP_UPLOAD_OFFSET=str(offset),
        **extra,
    )


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _nothing_left(media_root: Path, upload_dir: Path) -> None:
    assert Upload.objects.count() == 0
    assert AudioFile.objects.count() == 0
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    assert [p for p in upload_dir.rglob("*") if p.is_file()] == []


def test_options_says_version_extensions_and_max_size(
    creator: User, settings: Settings
) -> None:
    settings.ONDAS_UPLOAD_MAX_BYTES = 12345

    response = _signed_in(creator).options(CREATE_URL)

    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Max-Size"] == "12345"
    assert set(response["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "expiration",
        "checksum",
    }


def test_upload_in_chunks_stores_the_audio_with_its_facts(
    creator: User, media_root: Path, upload_dir: Path
) -> None:
    data = audio_bytes("mp3", seconds=4)
    client = _signed_in(creator)
    url = _create(client, len(data))
    assert Upload.objects.get().temp_path.parent == upload_dir

    first = _patch(client, url, data[:5000], offset=0)
    assert first.status_code == 204
    assert first["Upload-Offset"] == "5000"
    assert first["Tus-Resumable"] == "1.0.0"
    head = client.head(url, **TUS)
    assert (head.status_code, head["Upload-Offset"], head["Upload-Length"]) == (
        200,
        "5000",
        str(len(data)),
    )
    assert "no-store" in head["Cache-Control"]
    last = _patch(client, url, data[5000:], offset=5000)

    assert last.status_code == 204
    assert last["Upload-Offset"] == str(len(data))
    audio = AudioFile.objects.get()
    assert last["Ondas-Audio-Id"] == str(audio.pk)
    assert audio.mime_type == "audio/mpeg"
    assert audio.size == len(data)
    assert audio.sha256 == hashlib.sha256(data).hexdigest()
    assert audio.bitrate == 32000
    assert audio.duration_seconds == pytest.approx(4, abs=0.2)
    assert audio.file.name.startswith("audio/") and audio.file.name.endswith(".mp3")
    with default_storage.open(audio.file.name, "rb") as stored:
        assert stored.read() == data
    assert [p for p in upload_dir.iterdir()] == []  # moved, not copied
    detail = client.get(url).json()
    assert detail["complete"] is True
    assert detail["audio"]["sha256"] == audio.sha256


def test_patch_at_a_wrong_offset_answers_409_and_keeps_the_bytes(
    creator: User,
) -> None:
    client = _signed_in(creator)
    url = _create(client, 10_000)
    _patch(client, url, b"x" * 100, offset=0)

    response = _patch(client, url, b"y" * 100, offset=50)

    assert response.status_code == 409
    assert response.json()["code"] == "upload_offset_mismatch"
    assert Upload.objects.get().temp_path.read_bytes() == b"x" * 100


def test_patch_needs_the_offset_content_type(creator: User) -> None:
    client = _signed_in(creator)
    url = _create(client, 100)

    response = client.generic(
        "PATCH",
        url,
        data=b"abc",
        content_type="application/octet-stream",
        **TUS,
        HTTP_UPLOAD_OFFSET="0",
    )

    assert response.status_code == 415
    assert Upload.objects.get().temp_path.read_bytes() == b""


def test_another_tus_version_answers_412(creator: User) -> None:
    response = _signed_in(creator).post(
        CREATE_URL, HTTP_TUS_RESUMABLE="0.2.2", HTTP_UPLOAD_LENGTH="10"
    )

    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    assert Upload.objects.count() == 0


def test_upload_past_the_limit_answers_413_and_leaves_nothing(
    creator: User, settings: Settings, media_root: Path, upload_dir: Path
) -> None:
    settings.ONDAS_UPLOAD_MAX_BYTES = 1000

    response = _signed_in(creator).post(CREATE_URL, **TUS, HTTP_UPLOAD_LENGTH="1001")

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    _nothing_left(media_root, upload_dir)


def test_patch_past_the_declared_length_answers_413(creator: User) -> None:
    client = _signed_in(creator)
    url = _create(client, 10)

    response = _patch(client, url, b"z" * 11, offset=0)

    assert response.status_code == 413
    assert Upload.objects.get().temp_path.read_bytes() == b""


def test_checksum_mismatch_answers_460_and_drops_the_chunk(creator: User) -> None:
    client = _signed_in(creator)
    url = _create(client, 1000)
    wrong = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    right = base64.b64encode(hashlib.sha1(b"a" * 10).digest()).decode()

    refused = _patch(
        client, url, b"a" * 10, offset=0, HTTP_UPLOAD_CHECKSUM=f"sha1 {wrong}"
    )
    taken = _patch(
        client, url, b"a" * 10, offset=0, HTTP_UPLOAD_CHECKSUM=f"sha1 {right}"
    )

    assert refused.status_code == 460
    assert taken.status_code == 204
    assert taken["Upload-Offset"] == "10"


def test_another_users_upload_answers_404(creator: User, other_creator: User) -> None:
    url = _create(_signed_in(creator), 100)
    intruder = _signed_in(other_creator)

    assert intruder.head(url, **TUS).status_code == 404
    assert _patch(intruder, url, b"a", offset=0).status_code == 404
    assert intruder.delete(url, **TUS).status_code == 404
    assert intruder.get(url).status_code == 404
    assert Upload.objects.get().temp_path.read_bytes() == b""


def test_signed_out_visitors_cannot_upload(db: None) -> None:
    response = Client().post(CREATE_URL, **TUS, HTTP_UPLOAD_LENGTH="10")

    assert response.status_code == 401
    assert Upload.objects.count() == 0


def test_cross_site_post_without_the_csrf_token_is_refused(creator: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(creator)

    response = client.post(
        CREATE_URL,
        **TUS,
        HTTP_UPLOAD_LENGTH="10",
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert Upload.objects.count() == 0


def test_same_site_post_with_the_csrf_token_is_taken(creator: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(creator)
    token = "A" * 32
    client.cookies["csrftoken"] = token

    response = client.post(
        CREATE_URL,
        **TUS,
        HTTP_UPLOAD_LENGTH="10",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="http://testserver",
    )

    assert response.status_code == 201


def test_delete_terminates_the_upload(
    creator: User, media_root: Path, upload_dir: Path
) -> None:
    client = _signed_in(creator)
    url = _create(client, 100)
    _patch(client, url, b"a" * 10, offset=0)

    response = client.delete(url, **TUS)

    assert response.status_code == 204
    assert client.head(url, **TUS).status_code == 404
    _nothing_left(media_root, upload_dir)


def test_expiry_is_sent_and_an_expired_upload_is_removed_by_the_task(
    creator: User, media_root: Path, upload_dir: Path
) -> None:
    client = _signed_in(creator)
    url = _create(client, 100)
    patched = _patch(client, url, b"a" * 10, offset=0)
    expires = parse_http_date(patched["Upload-Expires"])
    assert expires > (timezone_now() + timedelta(hours=23)).timestamp()
    Upload.objects.update(expires_at=timezone_now() - timedelta(seconds=1))

    assert _patch(client, url, b"a", offset=10).status_code == 410
    removed = uploads_remove_expired_task.enqueue()

    assert removed.return_value == 1
    _nothing_left(media_root, upload_dir)


def test_a_stray_file_in_the_upload_area_is_removed_once_old(
    db: None, upload_dir: Path
) -> None:
    upload_dir.mkdir()
    stray = upload_dir / "0123456789abcdef0123456789abcdef.part"
    stray.write_bytes(b"left by a crash")
    fresh = upload_dir / "fedcba9876543210fedcba9876543210.part"
    fresh.write_bytes(b"just written")
    old = (timezone_now() - timedelta(days=2)).timestamp()
    import os

    os.utime(stray, (old, old))

    uploads_remove_expired_task.enqueue()

    assert not stray.exists()
    assert fresh.exists()


def test_unfinished_uploads_per_person_are_limited(
    creator: User, settings: Settings
) -> None:
    settings.ONDAS_UPLOAD_MAX_OPEN = 2
    client = _signed_in(creator)
    _create(client, 10)
    _create(client, 10)

    response = client.post(CREATE_URL, **TUS, HTTP_UPLOAD_LENGTH="10")

    assert response.status_code == 429
    assert Upload.objects.count() == 2


def test_bad_metadata_answers_400(creator: User) -> None:
    response = _signed_in(creator).post(
        CREATE_URL, **TUS, HTTP_UPLOAD_LENGTH="10", HTTP_UPLOAD_METADATA="filename !!!"
    )

    assert response.status_code == 400
    assert Upload.objects.count() == 0


def test_small_file_through_a_plain_form_post(creator: User) -> None:
    data = audio_bytes("mp3", seconds=2)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = _signed_in(creator).post(
        reverse("studio:upload-form"),
        {"file": SimpleUploadedFile("tone.mp3", data, content_type="audio/mpeg")},
    )

    assert response.status_code == 201, response.content
    assert response.json()["audio"]["size"] == len(data)
    assert AudioFile.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_form_post_over_its_limit_is_refused_before_reading(
    creator: User, settings: Settings, media_root: Path, upload_dir: Path
) -> None:
    settings.ONDAS_UPLOAD_FORM_MAX_BYTES = 1000
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = _signed_in(creator).post(
        reverse("studio:upload-form"),
        {"file": SimpleUploadedFile("big.mp3", b"\0" * 200_000)},
    )

    assert response.status_code == 413
    _nothing_left(media_root, upload_dir)


def test_head_of_an_expired_upload_answers_410(creator: User) -> None:
    client = _signed_in(creator)
    url = _create(client, 100)
    Upload.objects.update(expires_at=timezone_now() - timedelta(seconds=1))

    response = client.head(url, **TUS)

    assert response.status_code == 410
    assert "Upload-Offset" not in response


def test_patch_bigger_than_the_in_memory_limit_streams_to_disk(
    creator: User, settings: Settings
) -> None:
    """The body is never read whole (request.body would refuse it)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = _signed_in(creator)
    url = _create(client, 50_000)

    response = _patch(client, url, b"q" * 20_000, offset=0)

    assert response.status_code == 204
    assert response["Upload-Offset"] == "20000"


def test_deleting_a_finished_upload_removes_its_unused_audio(
    creator: User, media_root: Path, upload_dir: Path
) -> None:
    data = audio_bytes("mp3", seconds=2)
    client = _signed_in(creator)
    url = _create(client, len(data))
    assert _patch(client, url, data, offset=0).status_code == 204
    assert AudioFile.objects.count() == 1

    assert client.delete(url, **TUS).status_code == 204

    _nothing_left(media_root, upload_dir)


def test_creating_an_upload_queues_its_expiry(
    creator: User,
    settings: Settings,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }
    from django_tasks import default_task_backend

    default_task_backend.clear()  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        url = _create(_signed_in(creator), 10)

    upload = Upload.objects.get()
    queued = default_task_backend.results  # type: ignore[attr-defined]
    assert [r.task.name for r in queued] == ["upload_expire_task"]
    assert queued[0].kwargs == {"upload_id": str(upload.pk)}
    assert queued[0].task.run_after == upload.expires_at + timedelta(seconds=5)
    assert url.endswith(f"/studio/uploads/{upload.pk}/")


def test_expiry_task_waits_again_for_an_upload_that_kept_receiving(
    creator: User, settings: Settings
) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }
    from django_tasks import default_task_backend

    from ondas.studio.uploads.services import upload_expire_task

    client = _signed_in(creator)
    _create(client, 10)
    upload = Upload.objects.get()
    default_task_backend.clear()  # type: ignore[attr-defined]

    removed = upload_expire_task.call(upload_id=str(upload.pk))

    assert removed == 0
    assert Upload.objects.count() == 1
    queued = default_task_backend.results  # type: ignore[attr-defined]
    assert [r.kwargs for r in queued] == [{"upload_id": str(upload.pk)}]
