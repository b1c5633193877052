"""`ondas serve` sends audio ranges with sendfile(2): proven with strace.

A real Gunicorn runs under ``strace -f -e trace=sendfile``; its system calls
must show the range's offset and length, and the bytes must arrive intact.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from gunicorn.workers.gthread import PollableMethodQueue, ThreadWorker

from ondas.ops.serve import OndasThreadWorker

pytestmark = pytest.mark.slow

MIB = 1 << 20
SIZE = 3 * MIB + 12_345
ONDAS = str(Path(sys.executable).with_name("ondas"))
# 4242 sendfile(9, 10, [1048576] => [2097152], 1048576) = 1048576
SENDFILE_RE = re.compile(
    r"sendfile\((?P<out>\d+), (?P<in>\d+), \[(?P<offset>\d+)\](?: => \[\d+\])?, "
    r"(?P<count>\d+)\)\s+= (?P<result>-?\d+)"
)
CREATE_AUDIO = """
import io, pathlib
from ondas.catalog.services import audio_file_create
data = pathlib.Path({source!r}).read_bytes()
audio = audio_file_create(name="ranges.mp3", content=io.BytesIO(data),
                          mime_type="audio/mpeg", duration_seconds=60.0)
print("AUDIO_ID=%d" % audio.pk)
"""


@dataclass(frozen=True)
class Server:
    port: int
    audio_id: int
    data: bytes
    strace_log: Path
    stop: object  # a callable that stops strace and Gunicorn, then returns


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ondas serve exited early with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"ondas serve did not listen on 127.0.0.1:{port} in time")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop strace and every process under it: TERM, then KILL after 10 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
    # Gunicorn's workers may outlive strace by a moment; the group must be empty.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail(
            "strace is not installed: `make test` installs it (apt-get install "
            "strace); this test proves sendfile and must not be skipped"
        )
    data = random.Random(7).randbytes(SIZE)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    # With ONDAS_SECRET_KEY set, nothing else creates the data directory.
    (tmp_path / "data").mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ONDAS_") and key != "DATABASE_URL"
    }
    env |= {
        "ONDAS_DATA_DIR": str(tmp_path / "data"),
        "ONDAS_MEDIA_ROOT": str(tmp_path / "media"),
        "ONDAS_SECRET_KEY": "sendfile-test-not-secret",
        "ONDAS_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [ONDAS, "manage", "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        timeout=120,
    )
    created = subprocess.run(
        [ONDAS, "manage", "shell", "-c", CREATE_AUDIO.format(source=str(source))],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    match = re.search(r"AUDIO_ID=(\d+)", created.stdout)
    assert match is not None, created.stdout + created.stderr
    port = _free_port()
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
        _wait_for_port(port, proc, time.monotonic() + 30)
        yield Server(
            port=port,
            audio_id=int(match.group(1)),
            data=data,
            strace_log=strace_log,
            stop=lambda: _stop(proc),
        )
    finally:
        _stop(proc)


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
