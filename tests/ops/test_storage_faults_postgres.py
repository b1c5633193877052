"""A PostgreSQL server that goes away under `ondas serve`: 503, then back.

A throwaway cluster (shared/NOTES.md) is stopped while Ondas runs on it: a
write answers ``503`` with Retry-After (``storage_unavailable``), ``/readyz``
says the database is unavailable, and once the server is up again the next
request is answered without a restart of Ondas.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.test_storage_faults_served import (
    _ask,
    _assert_json_503,
    _prepare,
    _progress,
    serving,
)
from tests.support.servers import MIB, ONDAS, free_port, make_site

pytestmark = pytest.mark.slow

AS_PG = ["runuser", "-u", "postgres", "--"]
# make_site stored its audio in SQLite; the PostgreSQL site needs one too.
CREATE_AUDIO_AGAIN = """
import io
from ondas.catalog.services import audio_file_create
audio_file_create(name="pg.mp3", content=io.BytesIO(b"\\xff\\xfb" * 100),
                  mime_type="audio/mpeg", duration_seconds=1.0)
"""


class Cluster:
    def __init__(self, root: Path) -> None:
        initdbs = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not initdbs:
            pytest.fail("PostgreSQL is not installed: `make test` installs it")
        self.bindir = initdbs[-1].parent
        self.root = root
        self.data = root / "pg"
        self.port = free_port()

    def run(self, *argv: str) -> None:
        subprocess.run([*AS_PG, *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        )
        self.run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-o",
            options,
            "-l",
            str(self.root / "pg.log"),
            "start",
        )

    def stop(self) -> None:
        self.run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-m",
            "fast",
            "stop",
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


# How long the site may take to write again once PostgreSQL is back: the
# pool's next reconnection attempt after the pauses of the outage.
RECOVERY_SECONDS = 30


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="ondas-pgfault-"))
    shutil.chown(root, "postgres")
    pg = Cluster(root)
    pg.init()
    pg.start()
    try:
        yield pg
    finally:
        try:
            pg.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(root, ignore_errors=True)


def test_a_postgresql_server_that_stops_is_a_503_until_it_is_back(
    cluster: Cluster,
) -> None:
    site_root = Path(tempfile.mkdtemp(prefix="ondas-ops-"))
    try:
        site = make_site(site_root, size=MIB)
        # make_site migrated SQLite; this site runs on PostgreSQL instead.
        site.env["DATABASE_URL"] = cluster.url
        subprocess.run(
            [ONDAS, "manage", "migrate", "--noinput", "-v", "0"],
            env=site.env,
            check=True,
            timeout=300,
        )
        subprocess.run(
            [ONDAS, "manage", "shell", "-c", CREATE_AUDIO_AGAIN],
            env=site.env,
            check=True,
            timeout=60,
            capture_output=True,
        )
        ready = _prepare(site)
        with serving(ready, env={"DATABASE_URL": cluster.url}) as server:
            port = server.port
            assert _progress(port, ready, 1.0).status == 200

            cluster.stop()
            try:
                down = _progress(port, ready, 2.0)
                readyz = _ask(port, "GET", "/readyz", ready)
            finally:
                cluster.start()

            _assert_json_503(down, code="storage_unavailable", retry_after="10")
            assert (readyz.status, readyz.json()) == (
                503,
                {"status": "database unavailable"},
            )
            # The pool reconnects with a growing pause between attempts (one
            # second, doubled each time the server refused), so the first
            # request after the restart may still wait out the pool's 5 s and
            # get a 503. Every answer until it is back is that JSON 503.
            deadline = time.monotonic() + RECOVERY_SECONDS
            back = _progress(port, ready, 2.0)
            while back.status != 200 and time.monotonic() < deadline:
                _assert_json_503(back, code="storage_unavailable", retry_after="10")
                back = _progress(port, ready, 2.0)
            assert back.status == 200, back.body[:300]
            assert json.loads(back.body)["position_seconds"] == 2.0
            assert _ask(port, "GET", "/readyz", ready).status == 200
    finally:
        shutil.rmtree(site_root, ignore_errors=True)
