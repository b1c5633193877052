"""`ondas serve` under signals, with real processes on 127.0.0.1.

SIGHUP loads new code with no failed request; SIGTERM drains: ``/readyz`` 503
at once, a request on a kept-alive connection answered with
``Connection: close``, an audio stream in flight finished byte for byte.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import MIB, ONDAS, Site, get, ondas_serve, temporary_site

pytestmark = pytest.mark.slow

PROBE_SETTINGS = """\
from ondas.settings import *  # noqa: F403
ROOT_URLCONF = "probe_urls"
"""
PROBE_URLS = """\
from django.http import HttpResponse
from django.urls import path
from ondas.urls import urlpatterns as ondas_urlpatterns

VERSION = "{version}"
urlpatterns = [path("probe", lambda request: HttpResponse(VERSION)), *ondas_urlpatterns]
"""


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    # Bigger than the socket buffers on both ends, so that a stream really is
    # in flight in the worker when SIGTERM comes.
    with temporary_site(size=12 * MIB + 4321) as made:
        yield made


def _probe_env(site: Site, version: str) -> dict[str, str]:
    code = site.root / "probe"
    code.mkdir(exist_ok=True)
    (code / "probe_settings.py").write_text(PROBE_SETTINGS)
    (code / "probe_urls.py").write_text(PROBE_URLS.format(version=version))
    # In front of the PYTHONPATH the tests run with, not instead of it: that
    # one may point at the Ondas under test (a git worktree, say).
    inherited = site.env.get("PYTHONPATH", "")
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(code), inherited])),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "probe_settings",
    }


class KeepAliveLoad:
    """Client threads, each on one kept-alive connection, requesting in a loop.

    A response with ``Connection: close`` makes the thread open a new
    connection; anything else (reset, refused, a non-2xx status, wrong bytes)
    counts as a failure. No retries: a request either succeeds or fails.
    """

    def __init__(self, port: int, site: Site, clients: int, deadline: float) -> None:
        self.port, self.site, self.deadline = port, site, deadline
        self.ok = 0
        self.closes = 0
        self.refused = 0
        self.failures: list[str] = []
        # Set by a test when it stops the server: from then on a refused
        # *connection* (no request sent yet) ends a client, it is no failure.
        self.stopping_since: float | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True)
            for n in range(clients)
        ]

    def __enter__(self) -> KeepAliveLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _connect(self) -> http.client.HTTPConnection | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.connect()
        except ConnectionRefusedError:
            if self.stopping_since is None:
                self._fail("connection refused while serving")
                time.sleep(0.05)
                return None
            with self._lock:
                self.refused += 1
            return None
        return conn

    def _run(self, number: int) -> None:
        conn: http.client.HTTPConnection | None = None
        count = 0
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            if conn is None:
                conn = self._connect()
                if conn is None:
                    if self.stopping_since is not None:
                        return
                    continue
            count += 1
            start = (count * 7919 + number * 104729) % (len(self.site.data) - 65536)
            path, headers = "/healthz", {}
            if count % 2:
                path = self.site.audio_path
                headers = {"Range": f"bytes={start}-{start + 65535}"}
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._fail(f"{path}: {exc!r}")
                conn.close()
                conn = None
                continue
            expected = self.site.data[start : start + 65536] if count % 2 else None
            if response.status not in (200, 206) or (
                expected is not None and body != expected
            ):
                self._fail(f"{path}: {response.status}")
            else:
                with self._lock:
                    self.ok += 1
            if response.headers.get("Connection", "").lower() == "close":
                with self._lock:
                    self.closes += 1
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def _fail(self, what: str) -> None:
        with self._lock:
            self.failures.append(what)


def _wait_for_new_workers(
    served_pid: int, before: set[int], workers: int, timeout: float
) -> set[int]:
    """Wait until the arbiter has ``workers`` children, none of them in ``before``."""
    children = Path(f"/proc/{served_pid}/task/{served_pid}/children")
    deadline = time.monotonic() + timeout
    now: set[int] = set()
    while time.monotonic() < deadline:
        now = {int(pid) for pid in children.read_text().split()}
        if len(now) == workers and not now & before:
            return now
        time.sleep(0.1)
    pytest.fail(f"workers after reload: {now}, before: {before}")


def test_sighup_five_times_under_keepalive_load_fails_no_request(site: Site) -> None:
    """Each SIGHUP loads the code as it is now on disk, and no request fails."""
    env = _probe_env(site, "v0")
    with ondas_serve(site, workers=2, threads=4, env=env) as served:
        response, body = get(served.port, "/probe")
        assert body == b"v0"
        workers = served.workers()
        with KeepAliveLoad(
            served.port, site, clients=4, deadline=time.monotonic() + 90
        ) as load:
            time.sleep(0.5)
            for version in range(1, 6):
                _probe_env(site, f"v{version}")  # a deploy: new code on disk
                served.proc.send_signal(signal.SIGHUP)
                workers = _wait_for_new_workers(served.pid, workers, 2, timeout=30)
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


# --- SIGTERM near a reload (issue 12, item 7) ---------------------------------

GRACEFUL = 10
TRIALS = 20
SEED = 12_07


class ReadyProbe:
    """``GET /readyz`` every 10 ms on a kept-alive connection: (sent at, outcome).

    The outcome is the status, or ``"refused"`` once nothing listens any more
    (which ends the probe).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.samples: list[tuple[float, int | str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ReadyProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.connect()
                conn.request("GET", "/readyz")
                response = conn.getresponse()
                response.read()
            except ConnectionRefusedError:
                self.samples.append((sent, "refused"))
                return
            except (OSError, http.client.HTTPException) as exc:
                self.samples.append((sent, repr(exc)))
                conn = None
                continue
            self.samples.append((sent, response.status))
            if response.headers.get("Connection", "").lower() == "close":
                conn.close()
                conn = None
            time.sleep(0.01)


class MarkerWatch:
    """When the drain marker of the one server under ``tmpdir`` first appears."""

    def __init__(self, tmpdir: Path) -> None:
        (self.runtime,) = tmpdir.glob("ondas-serve-*")
        self.seen_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MarkerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        marker = self.runtime / "draining"
        while not self._stop.is_set() and self.seen_at is None:
            if marker.exists():
                self.seen_at = time.monotonic()
            time.sleep(0.002)


def _serve_env(site: Site, version: str, tmpdir: Path) -> dict[str, str]:
    tmpdir.mkdir(exist_ok=True)
    return _probe_env(site, version) | {"TMPDIR": str(tmpdir)}


def _sigterm_trial(site: Site, trial: int, delay: float) -> dict[str, float]:
    """HUP with new code on disk, TERM ``delay`` s later, under load; measure."""
    tmpdir = site.root / f"tmp-{trial}"
    env = _serve_env(site, f"t{trial}", tmpdir)
    args = ("--graceful-timeout", str(GRACEFUL))
    with ondas_serve(site, workers=2, threads=4, env=env, args=args) as served:
        with (
            MarkerWatch(tmpdir) as marker,
            KeepAliveLoad(
                served.port, site, clients=8, deadline=time.monotonic() + 60
            ) as load,
            ReadyProbe(served.port) as probe,
        ):
            time.sleep(0.3)
            _probe_env(site, f"t{trial}-new")
            served.proc.send_signal(signal.SIGHUP)
            time.sleep(delay)
            load.stopping_since = termed = time.monotonic()
            served.proc.send_signal(signal.SIGTERM)
            try:
                served.proc.wait(timeout=GRACEFUL + 5)
            except subprocess.TimeoutExpired:
                pytest.fail(f"trial {trial}: still running {GRACEFUL + 5} s after TERM")
            exited = time.monotonic() - termed
    where = f"trial {trial}, TERM {delay:.2f} s after HUP\n{served.log_text()[-3000:]}"
    assert served.proc.returncode == 0, where
    assert marker.seen_at is not None, f"{where}: the drain marker never appeared"
    late = [
        (round(sent - termed, 3), outcome)
        for sent, outcome in probe.samples
        if sent >= termed + 0.1 and outcome not in (503, "refused")
    ]
    assert late == [], f"{where}: /readyz still ready after TERM: {late}"
    assert load.failures == [], f"{where}: {load.failures[:10]}"
    assert exited < GRACEFUL, where
    assert marker.seen_at - termed < 0.1, (
        f"{where}: marker after {marker.seen_at - termed:.3f} s"
    )
    assert list(tmpdir.glob("ondas-serve-*")) == [], f"{where}: runtime dir left"
    return {
        "marker": marker.seen_at - termed,
        "exit": exited,
        "ok": load.ok,
        "refused": load.refused,
    }


def test_sigterm_at_random_moments_of_a_reload_under_load_drains_at_once(
    site: Site,
) -> None:
    """Whatever the reload is doing, TERM starts the drain within 100 ms.

    The moments are drawn over a whole reload (code check, re-exec, preload,
    new workers, old ones retiring), as long as it took here first.
    """
    tmpdir = site.root / "tmp-measure"
    with ondas_serve(
        site, workers=2, threads=4, env=_serve_env(site, "m", tmpdir)
    ) as s:
        workers = s.workers()
        began = time.monotonic()
        _probe_env(site, "m2")
        s.proc.send_signal(signal.SIGHUP)
        _wait_for_new_workers(s.pid, workers, 2, timeout=30)
        reload_takes = time.monotonic() - began
    rng = random.Random(SEED)
    figures = [
        _sigterm_trial(site, trial, rng.uniform(0, 1.2 * reload_takes))
        for trial in range(TRIALS)
    ]
    marker = max(f["marker"] for f in figures)
    print(
        f"\nreload {reload_takes:.2f} s; {TRIALS} trials: marker up within "
        f"{marker * 1000:.0f} ms, exit within {max(f['exit'] for f in figures):.2f} s, "
        f"{sum(f['ok'] for f in figures)} requests ok, "
        f"{sum(f['refused'] for f in figures)} reconnects refused after TERM"
    )
    assert marker < 0.1
