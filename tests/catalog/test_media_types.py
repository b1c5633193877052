"""What kind of file an audio file is: declared, by its name, by its first bytes."""

from __future__ import annotations

import io
from collections.abc import Callable

import mutagen
import pytest
from django.test import Client
from django.urls import reverse

from ondas.catalog.media_types import (
    HEAD_BYTES,
    media_extension,
    media_type_resolve,
    media_type_sniff,
)
from ondas.catalog.services import audio_file_create
from tests.support.audio_files import FORMATS, ogg_vorbis


@pytest.mark.parametrize(
    ("declared", "name", "expected"),
    [
        ("", "ep.ogg", "audio/ogg"),
        ("", "ep.opus", "audio/opus"),
        ("", "ep.m4a", "audio/mp4"),
        ("application/octet-stream", "ep.opus", "audio/opus"),
        (" Binary/Octet-Stream ", "EP.M4A", "audio/mp4"),
        ("audio/x-m4a", "ep.mp3", "audio/x-m4a"),  # as written
        ("", "ep", ""),
        ("", "ep.txt", ""),
    ],
)
def test_media_type_resolve_by_name(declared: str, name: str, expected: str) -> None:
    assert media_type_resolve(declared, name=name) == expected


@pytest.mark.parametrize("kind", list(FORMATS))
def test_media_type_sniff_reads_real_files(kind: str) -> None:
    make, expected = FORMATS[kind]
    data = make()
    assert mutagen.File(io.BytesIO(data)) is not None  # a file mutagen reads
    assert media_type_sniff(data[:HEAD_BYTES]) == expected
    assert media_type_resolve("", name="upload", head=data) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"<!doctype html><title>episode.mp4 mp4</title>",
        b'{"chapters": []}',
        bytes(4096),
    ],
)
def test_media_type_sniff_of_other_bytes_tells_nothing(head: bytes) -> None:
    assert media_type_sniff(head) == ""


@pytest.mark.parametrize(
    ("mime_type", "ext"),
    [
        ("audio/mpeg", "mp3"),
        ("audio/mp4", "m4a"),
        ("audio/x-m4a", "m4a"),
        ("audio/ogg", "ogg"),
        ("audio/opus", "opus"),
        ("application/octet-stream", ""),
    ],
)
def test_media_extension(mime_type: str, ext: str) -> None:
    assert media_extension(mime_type) == ext


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "declared", "make", "expected"),
    [
        ("ep.opus", "application/octet-stream", FORMATS["opus"][0], "audio/opus"),
        ("upload", "", ogg_vorbis, "audio/ogg"),
        ("upload.bin", "application/octet-stream", FORMATS["m4a"][0], "audio/mp4"),
        ("ep.mp3", "audio/mpeg", ogg_vorbis, "audio/mpeg"),  # as declared
        ("upload", "", lambda: b"no audio here", "application/octet-stream"),
    ],
)
def test_audio_file_create_resolves_a_generic_type(
    client: Client,
    media_root: object,
    name: str,
    declared: str,
    make: Callable[[], bytes],
    expected: str,
) -> None:
    """What the audio view sends as Content-Type is the file's real type."""
    audio = audio_file_create(
        name=name, content=io.BytesIO(make()), mime_type=declared, duration_seconds=1
    )

    assert audio.mime_type == expected
    response = client.get(reverse("playback:audio", args=[audio.pk]))
    assert response.headers["Content-Type"] == expected
