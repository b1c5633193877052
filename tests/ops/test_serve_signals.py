"""`ondas serve` under signals, with real processes on 127.0.0.1.

SIGHUP loads new code with no failed request; SIGTERM drains: ``/readyz`` 503
at once, a request on a kept-alive connection answered with
``Connection: close``, an audio stream in flight finished byte for byte.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from tests.support.serve_load import KeepAliveLoad, probe_env, wait_for_new_workers
from tests.support.servers import MIB, ONDAS, Site, get, ondas_serve, temporary_site

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    # Bigger than the socket buffers on both ends, so that a stream really is
    # in flight in the worker when SIGTERM comes.
    with temporary_site(size=12 * MIB + 4321) as made:
        yield made


def test_sighup_five_times_under_keepalive_load_fails_no_request(site: Site) -> None:
    """Each SIGHUP loads the code as it is now on disk, and no request fails."""
    env = probe_env(site, "v0")
    with ondas_serve(site, workers=2, threads=4, env=env) as served:
        response, body = get(served.port, "/probe")
        assert body == b"v0"
        workers = served.workers()
        with KeepAliveLoad(
            served.port, site, clients=4, deadline=time.monotonic() + 90
        ) as load:
            time.sleep(0.5)
            for version in range(1, 6):
                probe_env(site, f"v{version}")  # a deploy: new code on disk
                served.proc.send_signal(signal.SIGHUP)
                workers = wait_for_new_workers(served.pid, workers, 2, timeout=30)
                response, body = get(served.port, "/probe")
                assert body == f"v{version}".encode()
                time.sleep(0.3)
        assert served.proc.poll() is None, "the arbiter must survive its reloads"

    assert load.failures == [], load.failures[:10]
    assert load.ok > 200
    # The old workers said goodbye on the connections they had kept alive.
    assert load.closes >= 1


def _slow_reader(
    port: int, path: str, seconds: float, result: dict[str, object]
) -> None:
    """GET ``path`` reading at a pace that takes about ``seconds`` in all."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(20)
    sock.connect(("127.0.0.1", port))
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += sock.recv(4096)
        head, body = raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        length = int(headers["Content-Length"])
        result["status"] = lines[0]
        result["started"] = True
        chunk = max(1, int(length / seconds / 20))  # 20 reads a second
        received = [body]
        total = len(body)
        while total < length:
            data = sock.recv(min(chunk, length - total))
            if not data:
                break
            received.append(data)
            total += len(data)
            time.sleep(0.05)
        result["body"] = b"".join(received)
    except OSError as exc:
        result["error"] = repr(exc)
    finally:
        sock.close()


def test_sigterm_drains_stream_and_closes_kept_alive_connections(site: Site) -> None:
    """In flight finishes; a kept-alive connection gets 503 and ``Connection: close``."""
    with ondas_serve(
        site, workers=2, threads=4, args=("--graceful-timeout", "30")
    ) as served:
        # given a kept-alive connection that has been used once
        kept = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        kept.request("GET", "/readyz")
        first = kept.getresponse()
        first.read()
        assert (first.status, first.headers["Connection"]) == (200, "keep-alive")
        # and a listener 1 s into a ~10 s audio stream
        stream: dict[str, object] = {}
        reader = threading.Thread(
            target=_slow_reader, args=(served.port, site.audio_path, 10.0, stream)
        )
        started = time.monotonic()
        reader.start()
        time.sleep(1.0)
        assert stream.get("started") is True

        # when the server is told to stop
        served.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        kept.request("GET", "/readyz")
        during = kept.getresponse()
        during_body = during.read()
        kept.close()

        reader.join(timeout=40)
        elapsed = time.monotonic() - started
        served.proc.wait(timeout=20)

    # then the kept-alive connection heard that the node is leaving, and closed
    assert during.status == 503
    assert json.loads(during_body) == {"status": "draining"}
    assert during.headers["Connection"] == "close"
    # and the stream finished, byte for byte, after the signal
    assert "error" not in stream, stream.get("error")
    assert stream["status"] == "HTTP/1.1 200 OK"
    assert stream["body"] == site.data
    assert elapsed > 8
    # and the server then stopped by itself, cleanly
    assert served.proc.returncode == 0


def _audio_missing_on_disk(site: Site) -> int:
    """A row whose file is gone: the audio view logs an error for it."""
    done = subprocess.run(
        [
            ONDAS,
            "manage",
            "shell",
            "-c",
            "from ondas.catalog.models import AudioFile; print(AudioFile.objects"
            ".create(file='audio/gone.mp3', size=1, mime_type='audio/mpeg').pk)",
        ],
        env=site.env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return int(done.stdout.split()[-1])


def test_metrics_add_up_across_workers_and_logs_carry_request_id(site: Site) -> None:
    gone = _audio_missing_on_disk(site)
    env = {"ONDAS_LOG_FORMAT": "json", "ONDAS_LOG_LEVEL": "INFO"}
    with ondas_serve(site, workers=2, threads=2, env=env) as served:
        for _ in range(30):  # one connection each: both workers get some
            response, _body = get(served.port, "/healthz")
            assert response.status == 200
        response, body = get(
            served.port, site.audio_path, headers={"Range": "bytes=0-99999"}
        )
        assert response.status == 206 and len(body) == 100_000
        response, _body = get(
            served.port, f"/audio/{gone}.mp3", {"X-Request-ID": "trace-42"}
        )
        assert response.status == 404
        assert response.headers["X-Request-ID"] == "trace-42"
        time.sleep(1.2)  # each worker refreshes its memory gauges once a second
        response, text = get(served.port, "/metrics")
        metrics = text.decode()

    assert (
        'ondas_http_requests_total{method="GET",route="ops:healthz",status="200"} 30.0'
        in metrics
    )
    assert 'route="playback:audio-ext",status="206"} 1.0' in metrics
    assert "ondas_audio_bytes_sent_total 100000.0" in metrics
    assert "ondas_audio_streams_open 0.0" in metrics
    rss_lines = [
        line
        for line in metrics.splitlines()
        if line.startswith("ondas_process_resident_memory_bytes{")
    ]
    assert sum('role="worker"' in line for line in rss_lines) == 2, rss_lines
    assert sum('role="arbiter"' in line for line in rss_lines) == 1, rss_lines
    assert 'kind="major"' in metrics and 'kind="minor"' in metrics
    # the app's own log lines are JSON and carry the request's id
    records = [
        json.loads(line)
        for line in served.log_text().splitlines()
        if line.startswith("{")
    ]
    assert any(
        r["request_id"] == "trace-42" and r["level"] == "ERROR" for r in records
    ), records[-5:]
