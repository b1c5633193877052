"""`ondas serve`'s own delivery log: every audio response the real WSGI entry
(``ondas.wsgi``, lean path and full stack) sends becomes one line, written by
Gunicorn's ``post_request`` hook (``ops.serve``), which the ingest counts."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.analytics import servelog
from ondas.analytics.ingest import log_ingest
from ondas.analytics.selectors import episode_downloads
from ondas.analytics.servelog import ServeLog
from ondas.billing.models import Plan
from ondas.catalog.models import Episode, Show
from ondas.core.delivery import AUDIO_HEADER, AUDIO_KEY, LISTENER_HEADER, LISTENER_KEY
from ondas.ops.serve import _post_request
from ondas.playback.lean import LeanAudio
from tests.analytics.conftest import MINUTE, PHONE, SIZE, episode_make
from tests.support.private_feeds import key_make, subscribe
from tests.support.wsgi_client import PATHS, WsgiClient


@dataclass
class SentResponse:
    """What Gunicorn's hook is given: the status and what went out."""

    status_code: int
    sent: int = 0
    response_length: int | None = None


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ServeLog:
    made = ServeLog(tmp_path / "analytics")
    monkeypatch.setattr(servelog, "_log", made)
    return made


@pytest.fixture(params=PATHS)
def client(request: pytest.FixtureRequest) -> WsgiClient:
    return WsgiClient(request.param)


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The audio ids the lean path answered from a kept yes (``lean_kept``)."""
    seen: list[int] = []
    real = LeanAudio.kept

    def spy(self: LeanAudio, environ: dict[str, Any]) -> Any:
        answer = real(self, environ)
        if answer is not None:
            seen.append(answer.audio_id)
        return answer

    monkeypatch.setattr(LeanAudio, "kept", spy)
    return seen


def _get(client: WsgiClient, url: str, **headers: str) -> dict[str, object]:
    """GET through ``ondas.wsgi`` as a player would, then run the server's hook."""
    response = client.get(url, HTTP_USER_AGENT=PHONE, HTTP_HOST="testserver", **headers)
    environ = client.handler.last_environ
    length = int(response.headers.get("Content-Length", "0"))
    _post_request(
        None,
        None,
        environ,
        SentResponse(status_code=response.status_code, response_length=length),
    )
    return environ


def _lines(log: ServeLog) -> list[dict[str, object]]:
    log.flush()
    if not log.path.exists():
        return []
    return [json.loads(raw) for raw in log.path.read_bytes().splitlines()]


def _ingest(log: ServeLog) -> int:
    log.flush()
    with log.path.open("rb") as stream:
        return log_ingest(stream=stream, name=str(log.path)).downloads


def test_ranges_of_free_audio_are_logged_and_counted(
    client: WsgiClient, log: ServeLog, show: Show, kept: list[int]
) -> None:
    episode = episode_make(show, "libre")
    url = f"/audio/{episode.audio_id}.mp3"
    _get(client, url, HTTP_RANGE="bytes=0-1")
    _get(client, url, HTTP_RANGE=f"bytes=0-{MINUTE // 2 - 1}")
    _get(client, url, HTTP_RANGE=f"bytes={MINUTE // 2}-")  # a kept yes, lean
    lines = _lines(log)
    assert [(x["status"], x["range"], x["bytes"]) for x in lines] == [
        (206, "bytes=0-1", 2),
        (206, f"bytes=0-{MINUTE // 2 - 1}", MINUTE // 2),
        (206, f"bytes={MINUTE // 2}-", SIZE - MINUTE // 2),
    ]
    assert {x["audio"] for x in lines} == {str(episode.audio_id)}
    assert {x["listener"] for x in lines} == {""}
    assert {x["ua"] for x in lines} == {PHONE}
    assert {x["method"] for x in lines} == {"GET"}
    assert _ingest(log) == 1
    assert episode_downloads(episode=episode).downloads == 1
    assert kept == ([episode.audio_id] * 2 if client.path == "lean" else [])


def test_head_and_refusals_count_nothing(
    client: WsgiClient, log: ServeLog, show: Show
) -> None:
    episode = episode_make(show, "exclusivo", access=Episode.Access.EXCLUSIVE)
    free = episode_make(show, "libre")
    response = client.get(f"/audio/{episode.audio_id}.mp3", HTTP_USER_AGENT=PHONE)
    assert response.status_code >= 400
    _post_request(None, None, client.handler.last_environ, SentResponse(402))
    client.head(f"/audio/{free.audio_id}.mp3", HTTP_USER_AGENT=PHONE)
    environ = client.handler.last_environ
    _post_request(None, None, environ, SentResponse(200, response_length=SIZE))
    lines = _lines(log)
    assert [(x["method"], x["bytes"]) for x in lines] == [("HEAD", 0)]
    assert _ingest(log) == 0


def test_a_subscriber_is_the_listener_of_exclusive_audio(
    client: WsgiClient,
    log: ServeLog,
    show: Show,
    listener: User,
    plan: Plan,
    kept: list[int],
) -> None:
    subscribe(listener, plan)
    client.force_login(listener)
    episode = episode_make(show, "exclusivo", access=Episode.Access.EXCLUSIVE)
    environ = _get(client, f"/audio/{episode.audio_id}.mp3")
    assert environ[LISTENER_KEY] == listener.pk
    _get(client, f"/audio/{episode.audio_id}.mp3")  # a kept yes on the lean path
    assert [x["listener"] for x in _lines(log)] == [str(listener.pk)] * 2
    assert _ingest(log) == 1
    assert kept == ([episode.audio_id] if client.path == "lean" else [])


def test_a_private_feed_download_is_its_subscribers(
    client: WsgiClient, log: ServeLog, show: Show, listener: User, plan: Plan
) -> None:
    subscribe(listener, plan)
    _key, token = key_make(listener, show)
    episode = episode_make(show, "exclusivo", access=Episode.Access.EXCLUSIVE)
    url = reverse("playback:private-audio", args=[episode.audio_id, token, "mp3"])
    _get(client, url, REMOTE_ADDR="198.51.100.1")
    _get(client, url, REMOTE_ADDR="203.0.113.9")
    lines = _lines(log)
    assert [x["listener"] for x in lines] == [str(listener.pk)] * 2
    assert [x["addr"] for x in lines] == ["198.51.100.1", "203.0.113.9"]
    assert _ingest(log) == 1  # one person, twice within 24 hours


def test_nginx_in_front_gets_the_ids_in_headers_and_serve_logs_nothing(
    client: WsgiClient,
    log: ServeLog,
    show: Show,
    listener: User,
    plan: Plan,
    settings: Settings,
) -> None:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    subscribe(listener, plan)
    _key, token = key_make(listener, show)
    episode = episode_make(show, "exclusivo", access=Episode.Access.EXCLUSIVE)
    url = reverse("playback:private-audio", args=[episode.audio_id, token, "mp3"])
    response = client.get(url, HTTP_USER_AGENT=PHONE)
    assert "X-Accel-Redirect" in response.headers
    assert response.headers[AUDIO_HEADER] == str(episode.audio_id)
    assert response.headers[LISTENER_HEADER] == str(listener.pk)
    environ = client.handler.last_environ
    assert AUDIO_KEY not in environ
    _post_request(None, None, environ, SentResponse(200))
    assert _lines(log) == []


def test_the_rights_answer_names_the_audio_and_the_subscriber(
    log: ServeLog, show: Show, listener: User, plan: Plan, settings: Settings
) -> None:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    subscribe(listener, plan)
    client = WsgiClient("full")
    client.force_login(listener)
    episode = episode_make(show, "exclusivo", access=Episode.Access.EXCLUSIVE)
    free = episode_make(show, "libre")
    yes = client.get(f"/audio/{episode.audio_id}/rights")
    assert yes.status_code == 200
    assert yes.headers[AUDIO_HEADER] == str(episode.audio_id)
    assert yes.headers[LISTENER_HEADER] == str(listener.pk)
    free_yes = client.get(f"/audio/{free.audio_id}/rights")
    assert free_yes.headers[AUDIO_HEADER] == str(free.audio_id)
    assert LISTENER_HEADER not in free_yes.headers


def test_serve_log_reopens_a_file_moved_away(tmp_path: Path) -> None:
    log = ServeLog(tmp_path)
    log.write(b'{"n":1}\n')
    log.flush()
    moved = log.path.with_name("moved.old")
    log.path.rename(moved)
    log.write(b'{"n":2}\n')
    log.flush()
    assert moved.read_bytes() == b'{"n":1}\n'
    assert log.path.read_bytes() == b'{"n":2}\n'
    log.path.unlink()
    log.write(b'{"n":3}\n')
    log.flush()
    assert log.path.read_bytes() == b'{"n":3}\n'


def test_serve_log_writes_whole_lines_once_its_buffer_fills(tmp_path: Path) -> None:
    log = ServeLog(tmp_path)
    log.write(b"x" * 10 + b"\n")
    assert not log.path.exists() or log.path.stat().st_size in (0, 11)
    big = b"y" * servelog.FLUSH_BYTES + b"\n"
    log.write(big)
    assert log.path.read_bytes().endswith(big)
    assert log.path.name == f"serve-{os.getpid()}.jsonl"


def test_the_log_path_and_the_environ_keys_are_the_core_ones() -> None:
    # Playback writes them, analytics reads them: one definition, in core.
    assert servelog.AUDIO_KEY == AUDIO_KEY
    assert servelog.LISTENER_KEY == LISTENER_KEY
