"""A big import in another process, on a real SQLite file with the site's
settings (WAL, IMMEDIATE transactions, a 5 s busy timeout): other writers get
in beside it, and a ``kill -9`` midway leaves nothing visible.

Each test copies a database migrated once per session, starts a child Python
that serves a generated feed on 127.0.0.1 and imports it, and writes to the
same file from this process meanwhile.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ingest.factories import fake_items, rss
from tests.support.feeds import FeedServer, Reply

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 4000

# Only the public import service: the same child runs against an older tree.
CHILD = """
import sys
import django
django.setup()
from ondas.ingest.services.imports import feed_source_import
print("READY", flush=True)
sys.stdin.readline()

def progress(done, total):
    print("PROGRESS", done, flush=True)

source = feed_source_import(url={url!r}, on_progress=progress)
print("DONE", source.show.episodes.count(), flush=True)
"""

REFRESH = """
import sys
import django
django.setup()
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import feed_source_refresh
source = feed_source_import(url={url!r})
print("READY", flush=True)
sys.stdin.readline()
row = feed_source_refresh(source=source)
print("DONE", row.outcome, row.added, source.show.episodes.count(), flush=True)
"""

CHECK = """
import datetime, json
import django
django.setup()
from django.test import Client
from django.utils.timezone import now
from ondas.catalog.models import Episode, Show
from ondas.catalog.selectors import show_list
from ondas.ingest.services.imports import feed_source_import
show = Show.objects.get()
client = Client()
seen = {{
    "importing": show.importing,
    "episodes": Episode.objects.filter(show=show).count(),
    "page": client.get(f"/shows/{{show.slug}}/").status_code,
    "feed": client.get(f"/shows/{{show.slug}}/feed.xml").status_code,
    "listed": show in show_list(),
}}
# The killed run's lease (2 minutes) never ran out; this run comes after it.
later = now() + datetime.timedelta(minutes=3)
source = feed_source_import(url={url!r}, now=later)
guids = set(source.show.episodes.values_list("guid", flat=True))
seen |= {{
    "same_show": source.show_id == show.pk,
    "after_importing": source.show.importing,
    "after_exact": guids == {{f"ep-{{n:05d}}" for n in range({items})}},
    "after_feed": client.get(f"/shows/{{source.show.slug}}/feed.xml").status_code,
}}
print("SEEN " + json.dumps(seen), flush=True)
"""


@pytest.fixture
def big_feed(feed_server: FeedServer) -> str:
    return feed_server.serve("/big.xml", Reply(rss(fake_items(ITEMS))))


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory migrated once, to copy for each test."""
    data = tmp_path_factory.mktemp("ondas-migrated")
    subprocess.run(
        [sys.executable, "-m", "ondas.ops.cli", "manage", "migrate", "-v", "0"],
        env=_env(data),
        check=True,
        timeout=300,
    )
    return data


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONDAS_")}
    env.pop("DATABASE_URL", None)
    return env | {
        "ONDAS_DATA_DIR": str(data),
        "ONDAS_SECRET_KEY": "test-not-secret",
        "ONDAS_TASKS_BACKEND": "immediate",
        "ONDAS_FEEDS_ALLOWED_NETWORKS": "127.0.0.1/32",
        "ONDAS_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "ONDAS_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "ondas.settings",
    }


def _copy(migrated: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(migrated / "ondas.sqlite3", data / "ondas.sqlite3")
    return data


def _start(data: Path, code: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(data),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "READY"
    return child


def _go(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("go\n")
    child.stdin.flush()


def _probe(conn: sqlite3.Connection) -> float:
    """One small write (what a listener's progress update is): its seconds."""
    began = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO probe (at) VALUES (?)", (time.time(),))
    conn.execute("COMMIT")
    return time.perf_counter() - began


def _assert_short(waits: list[float]) -> None:
    """Nine writes in ten wait under 0.5 s and none reaches half the site's 5 s
    busy timeout (on a quiet box the longest is about 0.1 s; on this 2-core box
    with a load of 20 it was 1.1 s). Before batching, the longest waited for
    the whole import: 5 to 40 s, so requests failed with "database is locked"."""
    ordered = sorted(waits)
    assert ordered[int(len(ordered) * 0.9)] < 0.5, ordered[-10:]
    assert ordered[-1] < 2.5, f"longest wait {ordered[-1]:.2f} s"


def _writer(data: Path) -> sqlite3.Connection:
    # The site's own busy timeout is 5 s; waiting longer here lets the test
    # measure how long a write really had to wait.
    conn = sqlite3.connect(data / "ondas.sqlite3", timeout=60, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, at REAL)")
    return conn


def test_writes_beside_a_big_import_wait_less_than_a_second(
    migrated_db: Path, tmp_path: Path, big_feed: str
) -> None:
    """Before batching, the whole import was one transaction and a write
    beside it waited for all of it (several seconds, past the busy timeout)."""
    data = _copy(migrated_db, tmp_path)
    conn = _writer(data)
    child = _start(data, CHILD.format(url=big_feed))
    _go(child)
    waits = []
    while child.poll() is None:
        waits.append(_probe(conn))
        time.sleep(0.02)
    out = child.stdout.read() if child.stdout else ""
    conn.close()

    assert child.returncode == 0, out
    assert f"DONE {ITEMS}" in out
    assert len(waits) >= 20  # the writes ran all along the import
    _assert_short(waits)


def test_writes_beside_a_refresh_that_adds_thousands_wait_less_than_a_second(
    migrated_db: Path, tmp_path: Path, feed_server: FeedServer
) -> None:
    first = 1000
    url = feed_server.serve("/grows.xml", Reply(rss(fake_items(first))))
    data = _copy(migrated_db, tmp_path)
    conn = _writer(data)
    child = _start(data, REFRESH.format(url=url))
    feed_server.serve("/grows.xml", Reply(rss(fake_items(ITEMS))))
    _go(child)
    waits = []
    while child.poll() is None:
        waits.append(_probe(conn))
        time.sleep(0.02)
    out = child.stdout.read() if child.stdout else ""
    conn.close()

    assert child.returncode == 0, out
    assert f"DONE applied {ITEMS - first} {ITEMS}" in out
    assert len(waits) >= 20
    _assert_short(waits)


def test_import_killed_midway_leaves_nothing_visible_and_the_next_converges(
    migrated_db: Path, tmp_path: Path, big_feed: str
) -> None:
    data = _copy(migrated_db, tmp_path)
    child = _start(data, CHILD.format(url=big_feed))
    _go(child)
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("PROGRESS") and int(line.split()[1]) >= 1000:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    check = subprocess.run(
        [sys.executable, "-c", CHECK.format(url=big_feed, items=ITEMS)],
        cwd=ROOT,
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert check.returncode == 0, check.stderr
    seen = _seen(check.stdout)
    assert seen["importing"] is True
    assert 1000 <= seen["episodes"] < ITEMS
    assert (seen["page"], seen["feed"], seen["listed"]) == (404, 404, False)
    assert seen["same_show"] is True
    assert seen["after_importing"] is False
    assert seen["after_exact"] is True
    assert seen["after_feed"] == 200


def _seen(out: str) -> dict[str, object]:
    line = next(x for x in out.splitlines() if x.startswith("SEEN "))
    seen: dict[str, object] = json.loads(line[len("SEEN ") :])
    return seen
