"""A finished upload is judged by its bytes: each accepted format is stored with
its facts, each bad file refused with a message naming the problem, and a
refusal leaves nothing in the database, in storage or in the upload area."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import AudioFile
from ondas.studio.models import Upload
from ondas.studio.uploads.audio import audio_chapters, audio_inspect
from ondas.studio.uploads.errors import AudioRefused, AudioTruncated
from tests.support.studio_audio import MIME_TYPES, audio_bytes, mp3_with_chapters

pytestmark = pytest.mark.django_db
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def _upload(
    user: User, data: bytes, *, filename: str, language: str = "en"
) -> tuple[Client, object]:
    """Send ``data`` through tus in two PATCHes; return the client and the last answer."""
    client = Client()
    client.force_login(user)
    client.cookies["ondas_language"] = language
    name = base64.b64encode(filename.encode()).decode()
    created = client.post(
        "/studio/uploads/",
        **TUS,
        HTTP_UPLOAD_LENGTH=str(len(data)),
        HTTP_UPLOAD_METADATA=f"filename {name}",
    )
    if created.status_code != 201:
        return client, created
    url = created["Location"]
    half = len(data) // 2
    response = None
    for offset, chunk in ((0, data[:half]), (half, data[half:])):
        response = client.generic(
            "PATCH",
            url,
            data=chunk,
            content_type="application/offset+octet-stream",
            **TUS,
            HTTP_UPLOAD_OFFSET=str(offset),
        )
    return client, response


def _nothing_left(media_root: Path, upload_dir: Path) -> None:
    assert Upload.objects.count() == 0
    assert AudioFile.objects.count() == 0
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    assert [p for p in upload_dir.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("kind", sorted(MIME_TYPES))
def test_each_accepted_format_is_stored_with_its_facts(
    creator: User, kind: str
) -> None:
    data = audio_bytes(kind, seconds=3)

    _client, response = _upload(creator, data, filename=f"tone-{kind}.bin")

    assert response.status_code == 204, response.content  # type: ignore[attr-defined]
    audio = AudioFile.objects.get()
    assert audio.mime_type == MIME_TYPES[kind]
    assert audio.duration_seconds == pytest.approx(3, abs=0.15)
    assert audio.bitrate > 0
    assert audio.size == len(data)
    assert audio.sha256 == hashlib.sha256(data).hexdigest()
    assert Upload.objects.get().audio == audio


def _flac_without_length() -> bytes:
    data = bytearray(audio_bytes("flac"))
    # STREAMINFO's 36-bit sample count: the low nibble of byte 21, bytes 22-25.
    data[21] &= 0xF0
    data[22:26] = bytes(4)
    return bytes(data)


def _pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 20


BAD_FILES = {
    "renamed pdf": (
        _pdf,
        "episode.mp3",
        "audio_not_audio",
        "The file is not audio: its content is PDF, whatever its name says.",
    ),
    "truncated mp3": (
        lambda: audio_bytes("mp3", seconds=5)[
            : len(audio_bytes("mp3", seconds=5)) * 6 // 10
        ],
        "cut.mp3",
        "audio_truncated",
        "The MP3 file is cut short: it ends ",
    ),
    "truncated mp3 with an Info header": (
        lambda: audio_bytes("mp3-info", seconds=5)[:-3000],
        "cut.mp3",
        "audio_truncated",
        "The MP3 file is cut short: it ends ",
    ),
    "truncated m4a": (
        lambda: audio_bytes("m4a", seconds=5)[:-2000],
        "cut.m4a",
        "audio_damaged",
        "The file starts like M4A audio but cannot be read (",
    ),
    "truncated m4a with its index first": (
        lambda: audio_bytes("m4a-faststart", seconds=5)[:-2000],
        "cut.m4a",
        "audio_truncated",
        "The M4A file is cut short: it ends 2000 bytes before its last part does.",
    ),
    "flac without a duration": (
        _flac_without_length,
        "stream.flac",
        "audio_duration_unknown",
        "The FLAC file does not say how long it is",
    ),
    "wav": (
        lambda: audio_bytes("wav", seconds=1),
        "take.wav",
        "audio_format_refused",
        "The file is WAV audio",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_with_its_message_and_leaves_nothing(
    creator: User, media_root: Path, upload_dir: Path, case: str
) -> None:
    make, filename, code, message = BAD_FILES[case]

    _client, response = _upload(creator, make(), filename=filename)

    assert response.status_code == 422  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code
    assert message in body["message"]
    _nothing_left(media_root, upload_dir)


def test_refusal_speaks_the_visitors_language(creator: User) -> None:
    _client, response = _upload(creator, _pdf(), filename="x.mp3", language="es")

    assert response.json()["message"].startswith(  # type: ignore[attr-defined]
        "El archivo no es audio: su contenido es PDF"
    )


def test_empty_file_is_refused_at_creation(
    creator: User, media_root: Path, upload_dir: Path
) -> None:
    _client, response = _upload(creator, b"", filename="empty.mp3")

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json() == {  # type: ignore[attr-defined]
        "code": "audio_empty",
        "message": "The file is empty (0 bytes).",
        "data": {},
    }
    _nothing_left(media_root, upload_dir)


def test_file_over_the_limit_is_refused_and_leaves_nothing(
    creator: User, settings: Settings, media_root: Path, upload_dir: Path
) -> None:
    data = audio_bytes("mp3", seconds=3)
    settings.ONDAS_UPLOAD_MAX_BYTES = len(data) - 1

    _client, response = _upload(creator, data, filename="long.mp3")

    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.json()["message"] == (  # type: ignore[attr-defined]
        f"The file is {len(data)} bytes; the most an upload may be is {len(data) - 1}."
    )
    _nothing_left(media_root, upload_dir)


def test_inspect_refuses_a_file_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.mp3"
    path.write_bytes(audio_bytes("mp3"))

    with pytest.raises(AudioRefused) as refused:
        audio_inspect(path=path, max_bytes=100)

    assert refused.value.code == "audio_too_large"


def test_inspect_says_how_many_bytes_a_cut_mp3_misses(tmp_path: Path) -> None:
    data = audio_bytes("mp3-info", seconds=5)
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[:-3000])

    with pytest.raises(AudioTruncated) as refused:
        audio_inspect(path=path, max_bytes=10**9)

    assert refused.value.data["missing"] == 3000


def test_id3_chapters_prefill_the_chapter_list(creator: User) -> None:
    data = mp3_with_chapters([(0, "Intro"), (4, "Virtual memory"), (7.5, "Wrap-up")])

    client, response = _upload(creator, data, filename="chapters.mp3")

    assert response.status_code == 204  # type: ignore[attr-defined]
    upload = Upload.objects.get()
    detail = client.get(f"/studio/uploads/{upload.pk}/").json()
    assert detail["chapters"] == [
        {"start_seconds": 0.0, "title": "Intro"},
        {"start_seconds": 4.0, "title": "Virtual memory"},
        {"start_seconds": 7.5, "title": "Wrap-up"},
    ]


def test_chapters_of_a_file_without_id3_are_none() -> None:
    assert audio_chapters(fileobj=io.BytesIO(audio_bytes("flac"))) == []


def test_inspect_finds_the_cut_at_the_end_of_a_large_mp3(tmp_path: Path) -> None:
    """Past 128 KiB only the file's end is walked: it still finds the cut."""
    data = audio_bytes("mp3", seconds=60)  # 240 kB, LAME without an Info header
    assert len(data) > 200_000
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[: len(data) * 6 // 10])

    with pytest.raises(AudioTruncated) as refused:
        audio_inspect(path=path, max_bytes=10**9)

    assert 0 < refused.value.data["missing"] < 1000  # part of one frame  # type: ignore[operator]


@pytest.mark.parametrize("trailer", [b"", b"TAG" + bytes(125)])
def test_inspect_takes_a_whole_large_mp3(tmp_path: Path, trailer: bytes) -> None:
    path = tmp_path / "whole.mp3"
    path.write_bytes(audio_bytes("mp3", seconds=60) + trailer)

    info = audio_inspect(path=path, max_bytes=10**9)

    assert info.duration_seconds == pytest.approx(60, abs=0.5)
