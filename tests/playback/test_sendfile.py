"""`ondas serve` sends audio ranges with sendfile(2): proven with strace.

A real Gunicorn runs under ``strace -f -e trace=sendfile``; its system calls
must show the range's offset and length, and the bytes must arrive intact.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from gunicorn.workers.gthread import PollableMethodQueue, ThreadWorker

from ondas.ops.serve_worker import OndasThreadWorker
from tests.support.servers import ONDAS, free_port, make_site, stop_group, wait_for_port

pytestmark = pytest.mark.slow

MIB = 1 << 20
SIZE = 3 * MIB + 12_345
# 4242 sendfile(9, 10, [1048576] => [2097152], 1048576) = 1048576
SENDFILE_RE = re.compile(
    r"sendfile\((?P<out>\d+), (?P<in>\d+), \[(?P<offset>\d+)\](?: => \[\d+\])?, "
    r"(?P<count>\d+)\)\s+= (?P<result>-?\d+)"
)


@dataclass(frozen=True)
class Server:
    port: int
    audio_id: int
    data: bytes
    strace_log: Path
    stop: object  # a callable that stops strace and Gunicorn, then returns


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail(
            "strace is not installed: `make test` installs it (apt-get install "
            "strace); this test proves sendfile and must not be skipped"
        )
    site = make_site(tmp_path, size=SIZE)
    env = site.env
    port = free_port()
    strace_log = tmp_path / "strace.txt"
    proc = subprocess.Popen(
        [
            strace,
            "-f",
            "-qq",
            "-e",
            "trace=sendfile",
            "-e",
            "signal=none",
            "-o",
            str(strace_log),
            ONDAS,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        env=env,
        start_new_session=True,  # its own process group, killed as one
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, timeout=30)
        yield Server(
            port=port,
            audio_id=site.audio_id,
            data=site.data,
            strace_log=strace_log,
            stop=lambda: stop_group(proc, timeout=10),
        )
    finally:
        stop_group(proc, timeout=10)


def _sendfile_calls(log: Path) -> list[tuple[int, int, int]]:
    """Return (offset, count, result) for every sendfile strace saw."""
    return [
        (int(m["offset"]), int(m["count"]), int(m["result"]))
        for m in SENDFILE_RE.finditer(log.read_text())
    ]


def _assert_sent_with_sendfile(
    calls: list[tuple[int, int, int]], *, offset: int, length: int
) -> None:
    """A first call at ``offset`` for ``length`` bytes, then any follow-ups."""
    assert (offset, length) in [(o, c) for o, c, _r in calls], calls
    # Partial sends continue where the previous one stopped; all bytes go out.
    sent, position = 0, offset
    for call_offset, count, result in calls:
        if call_offset == position and count == length - sent and result > 0:
            sent += result
            position += result
    assert sent == length, calls


def _get(
    conn: http.client.HTTPConnection, path: str, range_header: str | None
) -> http.client.HTTPResponse:
    headers = {"Range": range_header} if range_header else {}
    conn.request("GET", path, headers=headers)
    return conn.getresponse()


def test_serve_range_goes_out_with_sendfile_at_offset(server: Server) -> None:
    path = f"/audio/{server.audio_id}.mp3"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        # given a 1 MiB range in the middle of the file
        first = _get(conn, path, f"bytes={MIB}-{2 * MIB - 1}")
        first_body = first.read()
        sock = conn.sock

        # when a second range follows on the same, kept-alive connection
        second = _get(conn, path, f"bytes={2 * MIB}-")
        second_body = second.read()
        reused = conn.sock is sock

        # and the whole file after that
        whole = _get(conn, path, None)
        whole_body = whole.read()
    finally:
        conn.close()
    server.stop()  # type: ignore[operator]  # flushes strace's log

    # then each answer is exact
    assert first.status == 206
    assert first.headers["Content-Range"] == f"bytes {MIB}-{2 * MIB - 1}/{SIZE}"
    assert first.headers["Content-Length"] == str(MIB)
    assert first.headers["Connection"] == "keep-alive"
    assert first_body == server.data[MIB : 2 * MIB]
    assert reused, "the second request did not reuse the connection"
    assert second.status == 206
    assert second.headers["Content-Range"] == f"bytes {2 * MIB}-{SIZE - 1}/{SIZE}"
    assert second_body == server.data[2 * MIB :]
    assert whole.status == 200
    assert whole_body == server.data

    # and strace saw the kernel copy them: offset and count as asked
    calls = _sendfile_calls(server.strace_log)
    _assert_sent_with_sendfile(calls, offset=MIB, length=MIB)
    _assert_sent_with_sendfile(calls, offset=2 * MIB, length=SIZE - 2 * MIB)
    _assert_sent_with_sendfile(calls, offset=0, length=SIZE)


def test_worker_closes_wakeup_pipe_only_after_its_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request still running at shutdown must find Gunicorn's wake-up pipe open.

    Closed early, its descriptor number goes to the next file a thread opens
    (the SQLite database), and the thread's wake-up byte is written into it.
    """
    worker = OndasThreadWorker.__new__(OndasThreadWorker)  # no arbiter needed
    worker.tpool = ThreadPoolExecutor(max_workers=1)
    worker.method_queue = PollableMethodQueue()
    worker.method_queue.init()
    write_fd = worker.method_queue._write_fd
    release = threading.Event()
    pipe_open_when_done: list[bool] = []

    def late_request() -> None:
        release.wait(timeout=5)
        try:
            pipe_open_when_done.append(stat.S_ISFIFO(os.fstat(write_fd).st_mode))
        except OSError:
            pipe_open_when_done.append(False)
        worker.method_queue.defer(lambda: None)

    def gunicorn_run_ending(self: ThreadWorker) -> None:
        # The end of ThreadWorker.run(): a thread is still serving.
        self.tpool.submit(late_request)
        threading.Timer(0.2, release.set).start()
        self.tpool.shutdown(wait=False)
        self.method_queue.close()

    monkeypatch.setattr(ThreadWorker, "run", gunicorn_run_ending)
    worker.run()

    assert pipe_open_when_done == [True]
