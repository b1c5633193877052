"""Load and probes for tests of `ondas serve` under signals (real processes).

``probe_env`` puts a tiny deploy on disk: settings and a URLconf whose
``/probe`` answers the version written, in front of Ondas's URLs.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from pathlib import Path

import pytest

from tests.support.servers import Site

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


def probe_env(site: Site, version: str) -> dict[str, str]:
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


def wait_for_new_workers(
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
