"""A throwaway ``redis-server`` (Debian's) on a free port of 127.0.0.1.

No persistence (no RDB snapshots, no append-only file), its files in a
temporary directory; stopped (TERM, then KILL) when its context ends,
whatever the test did. ``kill()`` and ``start()`` let a test take Redis away
mid-traffic (``kill -9``) and bring it back on the same port.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests.support.servers import free_port, stop_group


@dataclass
class RedisServer:
    port: int
    directory: Path
    proc: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 15) -> None:
        """Start (or start again) on this server's port, empty."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing: `make test` installs it")
        argv = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.directory / "redis.log"),
        ]
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited with {self.proc.returncode}")
            if self.answers():
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        """``kill -9``: no goodbye to its clients, nothing kept."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: the port stays open and nothing answers (a stuck server)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            stop_group(self.proc, timeout=10)

    def client(self) -> redis.Redis:
        """A plain redis-py client, to look at what Ondas stored."""
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A running Redis with no persistence, in a fresh temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix="ondas-redis-"))
    server = RedisServer(port=free_port(), directory=directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
