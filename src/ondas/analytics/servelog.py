"""`ondas serve`'s own delivery log: one JSON line per audio response.

Each worker process appends to its own file, ``<ONDAS_DATA_DIR>/analytics/
serve-<pid>.jsonl``, opened on the first line. Lines are gathered in memory
and written whole with ``os.write`` on an ``O_APPEND`` descriptor (one line
is never split between two processes, and a reader sees whole lines or a
last one still coming), at most a second or 64 KiB after they were made,
and when the worker exits. Before each write the path is checked: when the
file was moved away (``analytics_serve_logs_ingest`` rotates it) or removed,
a new one is opened. A worker killed with SIGKILL loses at most its last
second of lines.

The request never waits on this: Gunicorn's ``post_request`` hook calls
``delivery_record`` after the response has been sent.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from django.http import HttpRequest

from ondas.analytics.lines import delivery_line
from ondas.core.delivery import AUDIO_KEY, LISTENER_KEY

FLUSH_SECONDS = 1.0
FLUSH_BYTES = 64 * 1024


def serve_log_directory(data_dir: Path) -> Path:
    return data_dir / "analytics"


class ServeLog:
    """One process's buffered, line-atomic delivery log."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._pending: list[bytes] = []
        self._size = 0
        self._last_flush = time.monotonic()
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._pid = 0

    @property
    def path(self) -> Path:
        return self.directory / f"serve-{os.getpid()}.jsonl"

    def write(self, line: bytes) -> None:
        """Keep ``line`` (ending in a newline) and write out when it is time."""
        with self._lock:
            self._pending.append(line)
            self._size += len(line)
            if (
                self._size >= FLUSH_BYTES
                or time.monotonic() - self._last_flush >= FLUSH_SECONDS
            ):
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _open_locked(self) -> int:
        path = self.path
        if self._fd is not None and self._pid == os.getpid():
            try:
                stat = os.stat(path)
                if (stat.st_dev, stat.st_ino) == self._inode:
                    return self._fd
            except FileNotFoundError:
                pass
            os.close(self._fd)
        # A forked child never writes to its parent's file.
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        stat = os.fstat(fd)
        self._fd, self._inode, self._pid = fd, (stat.st_dev, stat.st_ino), os.getpid()
        return fd

    def _flush_locked(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        data = memoryview(b"".join(self._pending))
        self._pending.clear()
        self._size = 0
        fd = self._open_locked()
        while data:
            written = os.write(fd, data)
            data = data[written:]


_log: ServeLog | None = None


def serve_log() -> ServeLog:
    """This process's log, under the settings' data directory."""
    global _log
    if _log is None:
        from django.conf import settings

        _log = ServeLog(serve_log_directory(Path(settings.DATA_DIR)))
    return _log


class _Meta:
    def __init__(self, environ: dict[str, Any]) -> None:
        self.META = environ


def _client_address(environ: dict[str, Any]) -> str:
    """The client's address as every other part of Ondas takes it: from the
    proxy header only when settings trust one (``accounts.ratelimit``)."""
    from ondas.accounts.ratelimit import client_ip

    return client_ip(cast(HttpRequest, _Meta(environ)))


def delivery_record(
    *,
    environ: dict[str, Any],
    status: int,
    sent: int,
    now: datetime | None = None,
    log: ServeLog | None = None,
) -> bool:
    """Log one audio response `ondas serve` sent; False when it is not one.

    Only responses playback marked (``AUDIO_KEY``) are logged; those handed
    to nginx by X-Accel-Redirect are nginx's to log and never reach here
    marked (``delivery.file_deliver`` marks only what it sends itself).
    """
    audio_id = environ.get(AUDIO_KEY)
    if audio_id is None:
        return False
    listener = environ.get(LISTENER_KEY)
    method = str(environ.get("REQUEST_METHOD", ""))
    if method == "HEAD":
        sent = 0  # Gunicorn reports the length a GET would have had
    line = delivery_line(
        time=now or datetime.now(UTC),
        addr=_client_address(environ),
        method=method,
        path=str(environ.get("PATH_INFO", "")),
        status=status,
        range_header=str(environ.get("HTTP_RANGE", "")),
        sent=sent,
        user_agent=str(environ.get("HTTP_USER_AGENT", "")),
        audio_id=int(audio_id),
        listener_id=None if listener is None else int(listener),
    )
    (log or serve_log()).write(line)
    return True
