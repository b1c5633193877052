"""Real storage faults under `ondas serve`: a database file SQLite can only
read, and a write lock another process holds.

No fault is faked here: the database is a file whose permissions change
under the running server (started without the power to write through
permissions when the tests run as root), and the lock is taken by
another SQLite connection with ``BEGIN IMMEDIATE``. JSON endpoints answer
503 in the JSON error shape, pages with the error page, both with
Retry-After; once the fault is gone the next write succeeds, without a
restart or a reload.
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import (
    MIB,
    ONDAS,
    Site,
    free_port,
    stop_group,
    temporary_site,
    wait_for_port,
)

pytestmark = pytest.mark.slow

CSRF = "c" * 32
PREPARE = """
from datetime import UTC, datetime
from django.test import Client
from ondas.accounts.services import user_create
from ondas.catalog.models import AudioFile
from ondas.catalog.services import episode_create, show_create
user = user_create(email="fault@example.com", password="a long pass phrase 9")
show = show_create(title="Fault Show", author="A", language="en")
episode = episode_create(show=show, guid="f-1", title="One",
                         published_at=datetime(2025, 1, 1, tzinfo=UTC),
                         audio=AudioFile.objects.get())
client = Client()
client.force_login(user)
print("EPISODE=%d SHOW=%s SESSION=%s" % (episode.pk, show.slug,
      client.cookies["sessionid"].value))
"""


@dataclass(frozen=True)
class Ready:
    site: Site
    episode_id: int
    show_slug: str
    session: str

    @property
    def database(self) -> Path:
        return Path(self.site.env["ONDAS_DATA_DIR"]) / "ondas.sqlite3"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.body)
        return data


def _prepare(site: Site) -> Ready:
    done = subprocess.run(
        [ONDAS, "manage", "shell", "-c", PREPARE],
        env=site.env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    match = re.search(r"EPISODE=(\d+) SHOW=(\S+) SESSION=(\S+)", done.stdout)
    assert match is not None, done.stdout + done.stderr
    return Ready(site, int(match[1]), match[2], match[3])


@pytest.fixture(scope="module")
def ready() -> Iterator[Ready]:
    with temporary_site(size=MIB) as site:
        yield _prepare(site)


@dataclass(frozen=True)
class Server:
    port: int
    pid: int


@contextmanager
def serving(
    ready: Ready, *, env: dict[str, str], prefix: tuple[str, ...] = ()
) -> Iterator[Server]:
    """One worker with one thread: every request meets the same connection."""
    port = free_port()
    log = ready.site.root / f"faults-{port}.log"
    argv = [*prefix, ONDAS, "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", "1", "--threads", "1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            env=ready.site.env | env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, proc, timeout=30)
        yield Server(port, proc.pid)
    except BaseException:
        print(log.read_text(errors="replace")[-4000:])
        raise
    finally:
        stop_group(proc)


def _ask(
    port: int,
    method: str,
    path: str,
    ready: Ready,
    *,
    body: bytes = b"",
    kind: str = "",
) -> Answer:
    headers = {
        "Host": "127.0.0.1",
        "Cookie": f"sessionid={ready.session}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
    }
    if kind:
        headers["Content-Type"] = kind
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return Answer(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        conn.close()


def _progress(port: int, ready: Ready, seconds: float) -> Answer:
    body = json.dumps({"position_seconds": seconds, "device": "phone"}).encode()
    path = f"/playback/progress/episode/{ready.episode_id}"
    return _ask(port, "PUT", path, ready, body=body, kind="application/json")


def _follow(port: int, ready: Ready, action: str = "follow") -> Answer:
    path = f"/library/{action}/{ready.show_slug}/"
    return _ask(port, "POST", path, ready, kind="application/x-www-form-urlencoded")


def _position_read(port: int, ready: Ready) -> object:
    """The position as the server reads it back (reads need no free space)."""
    path = f"/playback/progress/episode/{ready.episode_id}"
    return _ask(port, "GET", path, ready).json()["position_seconds"]


def _stored_position(ready: Ready) -> float | None:
    db = sqlite3.connect(ready.database)
    try:
        row = db.execute(
            "SELECT position_seconds FROM playback_listeningprogress"
        ).fetchone()
    finally:
        db.close()
    return None if row is None else float(row[0])


def _assert_json_503(answer: Answer, *, code: str, retry_after: str) -> None:
    assert answer.status == 503, answer.body[:500]
    assert answer.headers["retry-after"] == retry_after
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["code"] == code


def _assert_page_503(answer: Answer, *, retry_after: str) -> None:
    assert answer.status == 503, answer.body[:500]
    assert answer.headers["retry-after"] == retry_after
    assert answer.headers["content-type"].startswith("text/html")
    assert "Temporalmente no disponible" in answer.body.decode()


def test_a_write_lock_held_elsewhere_is_a_503_then_the_write_goes_in(
    ready: Ready,
) -> None:
    with serving(ready, env={"ONDAS_SQLITE_BUSY_TIMEOUT_MS": "200"}) as server:
        port = server.port
        assert _progress(port, ready, 1.0).status == 200
        holder = sqlite3.connect(ready.database, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # as a long import would hold it

            started = time.monotonic()
            busy = _progress(port, ready, 2.0)
            waited = time.monotonic() - started
            page = _follow(port, ready)
            readyz = _ask(port, "GET", "/readyz", ready)
        finally:
            holder.execute("ROLLBACK")
            holder.close()

        _assert_json_503(busy, code="storage_busy", retry_after="3")
        assert waited < 2.0
        _assert_page_503(page, retry_after="3")
        assert (readyz.status, readyz.json()) == (503, {"status": "database busy"})

        assert _progress(port, ready, 2.0).status == 200
        assert _stored_position(ready) == 2.0
        assert _follow(port, ready).status == 302
        assert _follow(port, ready, "unfollow").status == 302
        assert _ask(port, "GET", "/readyz", ready).status == 200


def _bound_by_permissions() -> tuple[str, ...]:
    """Root writes through any permission: drop that power from the server."""
    if os.geteuid() != 0:
        return ()
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")


def _database_files(ready: Ready) -> list[Path]:
    return [
        path
        for path in ready.database.parent.glob("ondas.sqlite3*")
        if path.suffix in (".sqlite3", ".sqlite3-wal", ".sqlite3-shm")
        or path.name.endswith(("-wal", "-shm"))
    ]


def test_a_read_only_database_file_is_a_503_and_recovers_without_a_restart(
    ready: Ready,
) -> None:
    files = _database_files(ready)
    assert ready.database in files
    with serving(ready, env={}, prefix=_bound_by_permissions()) as server:
        port = server.port
        for path in files:
            path.chmod(0o444)
        try:
            # The worker's first connection opens the file as it is now.
            json_answer = _progress(port, ready, 7.0)
            page = _follow(port, ready)
            readyz = _ask(port, "GET", "/readyz", ready)
        finally:
            # SQLite gave the -wal and -shm files it made the main file's mode.
            for path in _database_files(ready):
                path.chmod(0o644)

        _assert_json_503(json_answer, code="storage_read_only", retry_after="30")
        _assert_page_503(page, retry_after="30")
        assert (readyz.status, readyz.json()) == (
            503,
            {"status": "database read-only"},
        )
        assert _stored_position(ready) != 7.0

        # Writable again: the next request writes, no SIGHUP needed.
        assert _progress(port, ready, 7.0).status == 200
        assert _stored_position(ready) == 7.0
        assert _follow(port, ready).status == 302
        assert _ask(port, "GET", "/readyz", ready).status == 200


def _unshare() -> list[str]:
    unshare = ["unshare", "--mount"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    return unshare


def _private_namespace_works() -> bool:
    """Whether ``unshare`` can make every mount private in a new namespace.

    It cannot inside a chroot whose root is not a mount point (as
    ``../shared/tools/fresh-debian`` builds): the kernel refuses to change the
    propagation of a "/" that is only a directory (EINVAL)."""
    probe = subprocess.run(
        [*_unshare(), "--propagation", "private", "--", "true"],
        capture_output=True,
        timeout=10,
    )
    return probe.returncode == 0


# The tiny tmpfs goes on the server's data directory, in a mount namespace of
# its own whose mounts are all private, so nothing is seen outside it.
FULL_DISK_BOOT = """
set -e
mount -t tmpfs -o size=4m,mode=0755 tmpfs "$DATA"
cp "$SAVED"/ondas.sqlite3 "$DATA"/
exec "$@"
"""
# Where "/" cannot be made private (a chroot), a mount on the data directory
# would propagate to the machine's own namespace. /dev/shm is a mount point
# of its own there too: made private in the server's namespace only, a tmpfs
# mounted below it stays inside that namespace, and the server's data
# directory moves there.
FULL_DISK_BOOT_IN_CHROOT = """
set -e
mount --make-private /dev/shm
mount -t tmpfs -o size=4m,mode=0755 tmpfs "$DATA"
cp "$SAVED"/ondas.sqlite3 "$DATA"/
exec "$@"
"""


@contextmanager
def _full_disk_boot(ready: Ready) -> Iterator[tuple[tuple[str, ...], Path]]:
    """The command prefix that starts the server on a 4 MiB tmpfs, and the
    server's data directory (as the server sees it)."""
    if _private_namespace_works():
        prefix = (*_unshare(), "--propagation", "private", "--")
        yield (*prefix, "sh", "-c", FULL_DISK_BOOT, "sh"), ready.database.parent
        return
    shm = Path("/dev/shm")
    assert os.path.ismount(shm), (
        "cannot make a private mount namespace here (a chroot whose root is "
        "not a mount point) and /dev/shm is not a mount point either: the "
        "full-disk test has nowhere to mount its tmpfs without it showing "
        "outside the server's namespace"
    )
    data = shm / f"ondas-full-disk-{os.getpid()}"
    data.mkdir(mode=0o755)
    try:
        prefix = (*_unshare(), "--propagation", "unchanged", "--")
        yield (*prefix, "sh", "-c", FULL_DISK_BOOT_IN_CHROOT, "sh"), data
    finally:
        data.rmdir()  # the tmpfs went with the server's namespace


def _fill(directory: Path) -> Path:
    """Write zeros until the file system is full; return the filler file."""
    filler = directory / "filler"
    block = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    # What is left is less than a block: take it too, in small writes.
    with filler.open("ab", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 512)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_disk_is_a_503_and_the_write_goes_in_once_there_is_room(
    ready: Ready,
) -> None:
    saved = ready.site.root / "saved"
    saved.mkdir(exist_ok=True)
    shutil.copy2(ready.database, saved / "ondas.sqlite3")
    with (
        _full_disk_boot(ready) as (boot, data),
        serving(
            ready,
            env={
                "DATA": str(data),
                "SAVED": str(saved),
                "ONDAS_DATA_DIR": str(data),
                "ONDAS_MIN_FREE_MB": "1",
            },
            prefix=boot,
        ) as server,
    ):
        port = server.port
        # The server's data directory, as the server sees it (its tmpfs).
        served = Path(f"/proc/{server.pid}/root") / str(data).lstrip("/")
        assert _progress(port, ready, 4.0).status == 200  # its connection is open
        filler = _fill(served)
        try:
            # One write only: the space the failed one took in the write-ahead
            # log stays allocated, and the next small write may fit in it.
            full = _progress(port, ready, 5.0)
            readyz = _ask(port, "GET", "/readyz", ready)
            stored = _position_read(port, ready)
        finally:
            filler.unlink()

        _assert_json_503(full, code="storage_full", retry_after="60")
        assert readyz.status == 503
        assert readyz.json()["status"] in (
            "database disk full",
            f"low disk space: 0 MiB free in {data}, 1 MiB needed",
        )
        assert stored == 4.0  # the failed write left nothing half-done

        assert _progress(port, ready, 5.0).status == 200
        assert _position_read(port, ready) == 5.0
        assert _ask(port, "GET", "/readyz", ready).status == 200
