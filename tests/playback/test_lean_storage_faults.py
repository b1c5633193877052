"""The lean audio path answers a storage fault with 503 too, never a 500."""

from __future__ import annotations

import io
import logging
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
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
def failing_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SELECT fails as SQLite fails on a disk that cannot be read."""
    tried: list[str] = []
    real = SQLiteCursorWrapper.execute

    def execute(self: SQLiteCursorWrapper, query: str, params: Any = None) -> Any:
        if query.lstrip().upper().startswith("SELECT"):
            tried.append(query)
            raise sqlite3.OperationalError("disk I/O error")
        return real(self, query, params)

    monkeypatch.setattr(SQLiteCursorWrapper, "execute", execute)
    return tried


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
