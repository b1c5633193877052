"""The audio view: ranges, validators, bad input.

Every test that asks for audio runs twice, through the real WSGI entry
(``ondas.wsgi``): by the lean audio path and by the full middleware stack
(``tests.support.wsgi_client``).
"""

from __future__ import annotations

import io
import logging
import os
import random
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.http import FileResponse
from django.test import Client
from django.urls import reverse
from django.utils.http import http_date
from pytest_django import DjangoAssertNumQueries

from ondas.catalog.models import AudioFile
from ondas.catalog.services import audio_file_create
from ondas.playback.delivery import RangeFile
from ondas.playback.lean_kept import KeptWindow
from tests.support.wsgi_client import PATHS, WsgiClient

SIZE = 10_000
# Pseudo-random bytes: an off-by-N slice can never equal the expected one.
AUDIO = random.Random(20251126).randbytes(SIZE)


@pytest.fixture
def audio(db: None) -> AudioFile:
    return audio_file_create(
        name="tone.mp3",
        content=io.BytesIO(AUDIO),
        mime_type="audio/mpeg",
        duration_seconds=2.5,
        bitrate=32_000,
    )


@pytest.fixture(params=PATHS)
def client(request: pytest.FixtureRequest) -> WsgiClient:
    """Django's test client over the lean path or the full stack (``ondas.wsgi``)."""
    return WsgiClient(request.param)


@pytest.fixture
def url(audio: AudioFile) -> str:
    return reverse("playback:audio", kwargs={"audio_id": audio.pk})


def _body(response: FileResponse) -> bytes:
    # Joining the iterator also closes the file, as a WSGI server would.
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def _validators(client: Client, url: str) -> tuple[str, str]:
    response = client.head(url)
    return response.headers["ETag"], response.headers["Last-Modified"]


def _assert_not_a_traceback(body: bytes) -> None:
    assert b"Traceback" not in body
    assert b"FileNotFoundError" not in body
    assert b"File &quot;" not in body and b'File "' not in body


# Whole file, HEAD


def test_audio_get_without_range_sends_whole_file(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Length"] == str(SIZE)
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert "Content-Range" not in response.headers
    assert _body(response) == AUDIO


def test_audio_get_with_extension_sends_same_bytes(
    client: Client, audio: AudioFile
) -> None:
    url = reverse("playback:audio-ext", kwargs={"audio_id": audio.pk, "ext": "mp3"})
    assert url.endswith(f"/audio/{audio.pk}.mp3")

    response = client.get(url, headers={"range": "bytes=100-199"})

    assert response.status_code == 206
    assert _body(response) == AUDIO[100:200]


def test_audio_head_has_headers_and_no_body(client: Client, url: str) -> None:
    get = client.get(url)
    _body(get)

    response = client.head(url)

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Length"] == str(SIZE)
    for name in (
        "Accept-Ranges",
        "ETag",
        "Last-Modified",
        "Cache-Control",
        "Content-Type",
        "Content-Disposition",
    ):
        assert response.headers[name] == get.headers[name], name


def test_audio_head_ignores_range(client: Client, url: str) -> None:
    response = client.head(url, headers={"range": "bytes=0-9"})

    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(SIZE)
    assert "Content-Range" not in response.headers


def test_audio_get_runs_one_query(
    client: Client, url: str, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        response = client.get(url, headers={"range": "bytes=0-0"})
    assert _body(response) == AUDIO[:1]


def test_audio_kept_yes_runs_no_query(
    url: str, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """The lean path keeps the yes: the next ranges of the file ask nothing."""
    client = WsgiClient("lean")
    _body(client.get(url, headers={"range": "bytes=0-0"}))

    with django_assert_num_queries(0):
        response = client.get(url, headers={"range": "bytes=1-2"})
    assert _body(response) == AUDIO[1:3]


# Ranges


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-1023", 0, 1023),
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=0-0", 0, 0),
        (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
        ("bytes=9000-999999", 9000, SIZE - 1),
        ("bytes=-999999", 0, SIZE - 1),
    ],
)
def test_audio_get_with_range_sends_exact_slice(
    client: Client, url: str, header: str, start: int, end: int
) -> None:
    response = client.get(url, headers={"range": header})

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["Content-Length"] == str(end - start + 1)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert _body(response) == AUDIO[start : end + 1]


@pytest.mark.parametrize(
    ("header", "offset", "length"),
    [("bytes=4096-8191", 4096, 4096), ("bytes=-100", SIZE - 100, 100), (None, 0, SIZE)],
)
def test_audio_through_wsgi_hands_server_a_descriptor_at_range_start(
    client: WsgiClient, url: str, header: str | None, offset: int, length: int
) -> None:
    """The file object reaches the server's file wrapper, so it can sendfile it;
    asked, and (lean path) from a kept yes."""
    headers = {"range": header} if header else {}
    for _time in ("asked", "kept"):
        response = client.get(url, headers=headers)

        assert client.handler.last_offset == offset
        assert response.status_code == (206 if header else 200)
        assert response["Content-Length"] == str(length)
        assert _body(response) == AUDIO[offset : offset + length]


@pytest.mark.parametrize(
    "header",
    ["bytes=-0", f"bytes={SIZE}-", "bytes=20000-30000", "bytes=1" + "0" * 5000 + "-"],
)
def test_audio_get_with_unsatisfiable_range_is_416(
    client: Client, url: str, header: str
) -> None:
    response = client.get(url, headers={"range": header})

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert response.content == b""


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "items=0-5",
        "bytes=5-3",
        "bytes=0-5,10-20",
        "bytes=1-2,4-5",
        "bytes=-",
        "bytes=",
        "bytes=\u0661-\u0665".encode().decode("latin-1"),
    ],
    ids=["letters", "unit", "reversed", "multi", "multi2", "dash", "empty", "utf8"],
)
def test_audio_get_with_malformed_or_multi_range_sends_whole_file(
    client: Client, url: str, header: str
) -> None:
    response = client.get(url, headers={"range": header})

    assert response.status_code == 200
    assert "Content-Range" not in response.headers
    assert response.headers["Content-Length"] == str(SIZE)
    assert _body(response) == AUDIO


# Conditional requests


def test_audio_if_none_match_current_etag_is_304(client: Client, url: str) -> None:
    etag, _last_modified = _validators(client, url)

    response = client.get(url, headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag


@pytest.mark.parametrize("form", ["weak", "star", "list"])
def test_audio_if_none_match_other_forms_are_304(
    client: Client, url: str, form: str
) -> None:
    etag, _last_modified = _validators(client, url)
    header = {"weak": f"W/{etag}", "star": "*", "list": f'"nope", {etag}'}[form]

    response = client.get(url, headers={"if-none-match": header, "range": "bytes=0-9"})

    assert response.status_code == 304


def test_audio_if_none_match_stale_etag_is_200(client: Client, url: str) -> None:
    response = client.get(url, headers={"if-none-match": '"0-0-0"'})

    assert response.status_code == 200
    assert _body(response) == AUDIO


def test_audio_if_modified_since_last_modified_is_304(client: Client, url: str) -> None:
    _etag, last_modified = _validators(client, url)

    response = client.get(url, headers={"if-modified-since": last_modified})

    assert response.status_code == 304
    assert response.content == b""


def test_audio_if_modified_since_old_date_is_200(client: Client, url: str) -> None:
    old = http_date(datetime(2001, 1, 1, tzinfo=UTC).timestamp())

    response = client.get(url, headers={"if-modified-since": old})

    assert response.status_code == 200
    assert _body(response) == AUDIO


def test_audio_if_modified_since_garbage_is_ignored(client: Client, url: str) -> None:
    response = client.get(url, headers={"if-modified-since": "yesterday-ish"})

    assert response.status_code == 200
    assert _body(response) == AUDIO


def test_audio_if_range_current_etag_is_206(client: Client, url: str) -> None:
    etag, _last_modified = _validators(client, url)

    response = client.get(url, headers={"range": "bytes=10-19", "if-range": etag})

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 10-19/{SIZE}"
    assert _body(response) == AUDIO[10:20]


@pytest.mark.parametrize("kind", ["stale-etag", "weak-etag", "old-date", "garbage"])
def test_audio_if_range_not_matching_sends_whole_file(
    client: Client, url: str, kind: str
) -> None:
    etag, _last_modified = _validators(client, url)
    if_range = {
        "stale-etag": '"0-0-0"',
        "weak-etag": f"W/{etag}",
        "old-date": http_date(datetime(2001, 1, 1, tzinfo=UTC).timestamp()),
        "garbage": "not a validator",
    }[kind]

    response = client.get(url, headers={"range": "bytes=10-19", "if-range": if_range})

    assert response.status_code == 200
    assert "Content-Range" not in response.headers
    assert _body(response) == AUDIO


def test_audio_if_range_exact_last_modified_is_206(client: Client, url: str) -> None:
    _etag, last_modified = _validators(client, url)

    response = client.get(
        url, headers={"range": "bytes=-10", "if-range": last_modified}
    )

    assert response.status_code == 206
    assert _body(response) == AUDIO[-10:]


def test_audio_if_range_unsatisfiable_range_still_416(client: Client, url: str) -> None:
    etag, _last_modified = _validators(client, url)

    response = client.get(url, headers={"range": f"bytes={SIZE}-", "if-range": etag})

    assert response.status_code == 416


def test_audio_if_match_mismatch_is_412(client: Client, url: str) -> None:
    response = client.get(url, headers={"if-match": '"0-0-0"', "range": "bytes=0-9"})

    assert response.status_code == 412


def test_audio_if_match_current_etag_is_206(client: Client, url: str) -> None:
    etag, _last_modified = _validators(client, url)

    response = client.get(url, headers={"if-match": etag, "range": "bytes=0-9"})

    assert response.status_code == 206
    assert _body(response) == AUDIO[:10]


def test_audio_if_unmodified_since_old_date_is_412(client: Client, url: str) -> None:
    old = http_date(datetime(2001, 1, 1, tzinfo=UTC).timestamp())

    response = client.get(url, headers={"if-unmodified-since": old})

    assert response.status_code == 412


def test_audio_etag_changes_when_file_is_touched(
    client: Client, url: str, audio: AudioFile
) -> None:
    before, _last_modified = _validators(client, url)
    stat = os.stat(audio.file.path)
    os.utime(audio.file.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))

    after, _last_modified = _validators(client, url)
    response = client.get(url, headers={"range": "bytes=0-9", "if-range": before})

    assert after != before
    assert response.status_code == 200  # old validator: whole file, not a slice
    assert _body(response) == AUDIO


# RangeFile, the object a WSGI server sends from


def test_range_file_reads_only_its_window(tmp_path: Path) -> None:
    path = tmp_path / "audio.bin"
    path.write_bytes(AUDIO)
    with path.open("rb") as raw:
        raw.seek(1000)
        window = RangeFile(raw, 300)

        assert os.lseek(window.fileno(), 0, os.SEEK_CUR) == 1000
        assert window.tell() == 1000
        assert window.read(100) == AUDIO[1000:1100]
        assert window.read() == AUDIO[1100:1300]
        assert window.read() == b""


def test_range_file_seek_supports_socket_sendfile_fallback(tmp_path: Path) -> None:
    """socket.sendfile() falls back to seek(offset) + read() when the kernel's
    sendfile fails before the first byte (a listener who went away)."""
    path = tmp_path / "audio.bin"
    path.write_bytes(AUDIO)
    with path.open("rb") as raw:
        raw.seek(4000)
        window = RangeFile(raw, 2000)
        window.read(512)  # a server may have read some already

        assert window.seek(4000) == 4000
        chunks = list(iter(lambda: window.read(700), b""))

    assert b"".join(chunks) == AUDIO[4000:6000]
    assert [len(c) for c in chunks] == [700, 700, 600]


def test_kept_window_moves_the_descriptor_only_to_its_start(tmp_path: Path) -> None:
    """The server sendfiles from the descriptor's offset; socket.sendfile's own
    seek afterwards, and its seek-and-read fallback, leave the offset alone."""
    path = tmp_path / "audio.bin"
    path.write_bytes(AUDIO)
    with path.open("rb", buffering=0) as raw:
        window = KeptWindow(raw, 4000, 2000)
        assert os.lseek(window.fileno(), 0, os.SEEK_CUR) == 4000

        window.read(512)  # a server may have read some already
        assert window.seek(4000) == 4000
        chunks = list(iter(lambda: window.read(700), b""))

        assert b"".join(chunks) == AUDIO[4000:6000]
        assert [len(c) for c in chunks] == [700, 700, 600]
        assert window.tell() == 6000
        assert os.lseek(window.fileno(), 0, os.SEEK_CUR) == 4000


def test_kept_window_goes_out_whole_through_socket_sendfile(tmp_path: Path) -> None:
    path = tmp_path / "audio.bin"
    path.write_bytes(AUDIO)
    left, right = socket.socketpair()
    with left, right, path.open("rb", buffering=0) as raw:
        window = KeptWindow(raw, 100, 5000)

        sent = left.sendfile(window, offset=100, count=5000)  # type: ignore[arg-type]
        received = b""
        while len(received) < sent:
            received += right.recv(65536)

    assert sent == 5000
    assert received == AUDIO[100:5100]


# Bad input


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "options"])
def test_audio_unsafe_method_is_405(url: str, method: str) -> None:
    # Django's own test client: CSRF checks off, the view answers. (Through the
    # WSGI entry CsrfViewMiddleware refuses them first; the lean path takes
    # only GET and HEAD, see test_audio_paths.)
    response = getattr(Client(), method)(url)

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path",
    ["/audio/999999", "/audio/99999999999999999999999999", "/audio/999999.mp3"],
    ids=["unknown", "overflowing", "unknown-with-ext"],
)
def test_audio_unknown_id_is_404(db: None, client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    _assert_not_a_traceback(response.content)


@pytest.mark.parametrize("path", ["/audio/-1", "/audio/abc", "/audio/1.MP3"])
def test_audio_malformed_path_is_404(db: None, client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    _assert_not_a_traceback(response.content)


@pytest.mark.parametrize("method", ["get", "head"])
def test_audio_missing_on_disk_is_404_and_logged(
    client: Client,
    url: str,
    audio: AudioFile,
    caplog: pytest.LogCaptureFixture,
    method: str,
) -> None:
    os.remove(audio.file.path)

    with caplog.at_level(logging.ERROR, logger="ondas.playback.delivery"):
        response = getattr(client, method)(url, headers={"range": "bytes=0-9"})

    assert response.status_code == 404
    _assert_not_a_traceback(response.content)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.name for r in errors] == ["ondas.playback.delivery"]
    assert errors[0].args is not None
    assert errors[0].args[0] == audio.pk


def test_audio_gone_after_a_kept_yes_is_404_and_logged(
    url: str, audio: AudioFile, caplog: pytest.LogCaptureFixture
) -> None:
    """The lean path kept the yes; the bytes went: the full stack's 404 and log."""
    client = WsgiClient("lean")
    assert _body(client.get(url, headers={"range": "bytes=0-9"})) == AUDIO[:10]
    os.remove(audio.file.path)

    with caplog.at_level(logging.ERROR, logger="ondas.playback.delivery"):
        response = client.get(url, headers={"range": "bytes=0-9"})

    assert response.status_code == 404
    _assert_not_a_traceback(response.content)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.name for r in errors] == ["ondas.playback.delivery"]
