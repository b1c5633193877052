"""tus against a live server, with tuspy as the client: an upload cut off three
times in the middle of a PATCH resumes where the server says and lands
byte-exact."""

from __future__ import annotations

import hashlib
import http.client
import io
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from pytest_django.live_server_helper import LiveServer
from tusclient.client import TusClient  # type: ignore[import-untyped]
from tusclient.exceptions import TusCommunicationError  # type: ignore[import-untyped]

from ondas.accounts.models import User
from ondas.catalog.models import AudioFile
from ondas.studio.models import Upload
from tests.support.studio_audio import audio_bytes

CSRF = "B" * 32
CHUNK = 16 * 1024


@pytest.fixture
def serial_server(live_server: LiveServer) -> LiveServer:
    """The live server, one request at a time: the test database is SQLite in
    memory on one connection its threads share (see tests/playback)."""
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    lock = threading.Lock()

    def one_at_a_time(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with lock:
            return app(environ, start_response)  # type: ignore[no-any-return]

    httpd.set_app(one_at_a_time)
    return live_server


def _headers(user: User) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    return {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


def _cut_patch(
    url: str, headers: dict[str, str], body: bytes, *, offset: int, sent: int
) -> None:
    """A PATCH that announces all of ``body`` and drops the connection after
    ``sent`` bytes, as a flaky network does."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest("PATCH", parts.path)
    for name, value in {
        **headers,
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(body)),
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(body[:sent])
    connection.sock.shutdown(2)  # type: ignore[union-attr]
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_upload_cut_three_times_resumes_and_lands_byte_exact(
    serial_server: LiveServer, creator: User
) -> None:
    data = audio_bytes("mp3", seconds=40)  # 160 kB: ten 16 KiB chunks
    headers = _headers(creator)
    tus = TusClient(f"{serial_server.url}/studio/uploads/", headers=headers)
    uploader = tus.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=CHUNK,
        metadata={"filename": "interview.mp3", "filetype": "audio/mpeg"},
        store_url=False,
    )
    uploader.upload(stop_at=2 * CHUNK)
    url = uploader.url
    offsets = []
    for cut in range(3):
        resumed = tus.uploader(file_stream=io.BytesIO(data), chunk_size=CHUNK, url=url)
        start = resumed.offset
        _cut_patch(
            url, headers, data[start : start + CHUNK], offset=start, sent=5000 + cut
        )
        # The live server may take the next request before the cut one (a
        # thread each): ask until the cut PATCH has been through.
        deadline = time.monotonic() + 10
        while True:
            resumed = tus.uploader(
                file_stream=io.BytesIO(data), chunk_size=CHUNK, url=url
            )
            if resumed.offset != start or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        # The bytes that arrived before the cut are kept, and no more.
        assert resumed.offset == start + 5000 + cut
        offsets.append(resumed.offset)
        resumed.upload(stop_at=min(resumed.offset + 2 * CHUNK, len(data) - 1))

    final = tus.uploader(file_stream=io.BytesIO(data), chunk_size=CHUNK, url=url)
    final.upload()

    assert len(set(offsets)) == 3
    audio = AudioFile.objects.get()
    assert audio.sha256 == hashlib.sha256(data).hexdigest()
    with default_storage.open(audio.file.name, "rb") as stored:
        assert stored.read() == data
    assert Upload.objects.get().audio == audio


@pytest.mark.django_db(transaction=True)
def test_another_users_upload_is_404_to_tuspy(
    serial_server: LiveServer, creator: User, other_creator: User
) -> None:
    data = audio_bytes("mp3", seconds=10)
    mine = TusClient(f"{serial_server.url}/studio/uploads/", headers=_headers(creator))
    uploader = mine.uploader(
        file_stream=io.BytesIO(data), chunk_size=CHUNK, store_url=False
    )
    uploader.upload(stop_at=CHUNK)
    theirs = TusClient(
        f"{serial_server.url}/studio/uploads/", headers=_headers(other_creator)
    )

    with pytest.raises(TusCommunicationError) as refused:
        theirs.uploader(
            file_stream=io.BytesIO(data), chunk_size=CHUNK, url=uploader.url
        )

    assert refused.value.status_code == 404
    assert Upload.objects.get().temp_path.stat().st_size == CHUNK
