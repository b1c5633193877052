"""The lean audio path answers a storage fault with 503 too, never a 500."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from ondas.accounts.models import User
from ondas.billing.models import Plan
from ondas.catalog.models import AudioFile, Episode
from ondas.catalog.services import audio_file_create, episode_create, show_create
from tests.support.private_feeds import key_make, subscribe
from tests.support.wsgi_client import PATHS, Path, WsgiClient
from tests.web.test_storage_faults import sqlite_failing


@pytest.fixture
def audio(db: None) -> AudioFile:
    return audio_file_create(
        name="tone.mp3",
        content=io.BytesIO(b"\xff\xfb" * 2000),
        mime_type="audio/mpeg",
        duration_seconds=2.5,
        bitrate=32_000,
    )


@pytest.fixture
def failing_reads() -> Iterator[list[str]]:
    """Every SELECT fails as the database fails on a disk that cannot be read."""
    tried: list[str] = []
    with sqlite_failing("disk I/O error", statements=("SELECT",), tried=tried):
        yield tried


@pytest.mark.parametrize("path", PATHS)
def test_audio_on_a_failing_disk_is_a_503_page(
    audio: AudioFile, failing_reads: list[str], path: Path
) -> None:
    client = WsgiClient(path, raise_request_exception=False)

    response = client.get(reverse("playback:audio", kwargs={"audio_id": audio.pk}))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Temporalmente no disponible" in response.content.decode()


def test_the_lean_path_answers_the_fault_without_asking_twice(
    audio: AudioFile, failing_reads: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Asking the full stack again would only meet the same fault."""
    client = WsgiClient("lean", raise_request_exception=False)

    with caplog.at_level(logging.WARNING):
        response = client.get(f"/audio/{audio.pk}.mp3")

    assert response.status_code == 503
    assert len(failing_reads) == 1
    assert not any("Lean audio path failed" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)  # no test transaction to break
@pytest.mark.parametrize("path", PATHS)
def test_a_private_enclosure_whose_use_cannot_be_recorded_is_a_503(
    listener: User, plan: Plan, path: Path
) -> None:
    """The enclosure records the app's use (a write) before it sends bytes."""
    show = show_create(title="Sala privada", author="Ana", language="es")
    audio = audio_file_create(
        name="x.mp3",
        content=io.BytesIO(b"\xff\xfb" * 500),
        mime_type="audio/mpeg",
        duration_seconds=1.0,
    )
    episode_create(
        show=show,
        guid="x",
        title="x",
        published_at=datetime(2025, 5, 1, tzinfo=UTC),
        access=Episode.Access.EXCLUSIVE,
        audio=audio,
    )
    subscribe(listener, plan)
    _key, token = key_make(listener, show)
    client = WsgiClient(path, raise_request_exception=False)
    url = reverse("playback:private-audio", args=[audio.pk, token, "mp3"])

    with sqlite_failing("database or disk is full"):
        response = client.get(url)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert client.get(url).status_code == 200
