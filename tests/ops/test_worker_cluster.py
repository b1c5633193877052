"""Several real `ondas worker` processes on one database: every task runs once,
a worker killed with -9 mid-task leaves its task to another, which runs it
after the lease; on SQLite (a file of its own) and on PostgreSQL (the test
database). Every process started is stopped, and every wait is bounded."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from ondas.ops.jobs import JOBS_BY_NAME
from tests.support.job_tasks import PATH, lines
from tests.support.servers import ONDAS, stop_group

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2
ENQUEUE = """
from tests.support.job_tasks import mark_task
for n in range({count}):
    mark_task.enqueue(directory={directory!r}, n=n, first_sleep={sleep})
"""
RESULTS = f"""
import json
from django_tasks_db.models import DBTaskResult
rows = DBTaskResult.objects.filter(task_path={PATH!r})
print("RESULTS=" + json.dumps(
    [[r.status, r.worker_ids, r.args_kwargs["kwargs"]["n"]] for r in rows]
))
"""


@dataclass
class Queue:
    """A database that workers share, and what they leave in ``marks``."""

    env: dict[str, str]
    marks: Path
    beats: Callable[[], set[str]]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def ondas(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ONDAS, *argv], env=self.env, timeout=120, capture_output=True, text=True
        )

    def enqueue(self, *, count: int, sleep: float) -> None:
        code = ENQUEUE.format(count=count, directory=str(self.marks), sleep=sleep)
        done = self.ondas("manage", "shell", "-c", code)
        assert done.returncode == 0, done.stderr

    def results(self) -> list[tuple[str, list[str], int]]:
        shown = self.ondas("manage", "shell", "-c", RESULTS)
        assert shown.returncode == 0, shown.stderr
        rows: list[Any] = json.loads(shown.stdout.split("RESULTS=")[1])
        return [(status, ids, n) for status, ids, n in rows]

    def start_worker(self, worker_id: str) -> subprocess.Popen[bytes]:
        log = (self.marks.parent / f"{worker_id}.log").open("wb")
        proc = subprocess.Popen(
            [ONDAS, "worker", "--no-startup-delay", "--interval", "0.2"]
            + ["--worker-id", worker_id],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(proc)
        _wait(lambda: worker_id in self.beats(), f"{worker_id} beats", 60)
        return proc


def _wait(ready: Callable[[], bool], what: str, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if ready():
            return time.monotonic() - start
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {timeout} s")


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONDAS_")}
    env.pop("DATABASE_URL", None)
    src = str(ROOT / "src")
    env |= {
        "PYTHONPATH": os.pathsep.join([str(ROOT), src, env.get("PYTHONPATH", "")]),
        "ONDAS_DATA_DIR": str(tmp_path / "data"),
        "ONDAS_SECRET_KEY": "worker-cluster-test-not-secret",
        "ONDAS_LOG_LEVEL": "INFO",
        "ONDAS_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
        "ONDAS_JOBS_TICK_SECONDS": "1",
        # The periodic jobs are the schedule tests' business, not these.
        "ONDAS_JOBS_OFF": ",".join(JOBS_BY_NAME),
        # The test's task may run twice, as the operator would declare it.
        "ONDAS_TASKS_RETRY_SAFE": PATH,
    }
    return env


def _queue(tmp_path: Path, env: dict[str, str], beats: Callable[[], set[str]]) -> Queue:
    marks = tmp_path / "marks"
    marks.mkdir()
    return Queue(env=env, marks=marks, beats=beats)


@pytest.fixture
def sqlite_queue(tmp_path: Path) -> Iterator[Queue]:
    env = _base_env(tmp_path)
    path = tmp_path / "data" / "ondas.sqlite3"

    def beats() -> set[str]:
        with sqlite3.connect(path) as db:
            return {
                row[0] for row in db.execute("SELECT worker_id FROM ops_workerbeat")
            }

    queue = _queue(tmp_path, env, beats)
    migrated = queue.ondas("manage", "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    yield queue
    for proc in queue.workers:
        stop_group(proc)


@pytest.fixture
def postgresql_queue(tmp_path: Path, transactional_db: None) -> Iterator[Queue]:
    """Workers on the test database itself, as separate processes."""
    db = connection.settings_dict
    env = _base_env(tmp_path)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )

    def beats() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT worker_id FROM ops_workerbeat")
            found = {row[0] for row in cursor.fetchall()}
        connection.close()
        return found

    queue = _queue(tmp_path, env, beats)
    yield queue
    for proc in queue.workers:
        stop_group(proc)
    connection.close()


def _each_task_runs_once(queue: Queue) -> None:
    count = 40
    one = queue.start_worker("worker-one")
    two = queue.start_worker("worker-two")
    queue.enqueue(count=count, sleep=0.1)
    _wait(lambda: len(lines(queue.marks / "done")) >= count, "every task done", 90)
    time.sleep(0.5)  # a second run of some task would show by now

    started = lines(queue.marks / "started")
    done = lines(queue.marks / "done")
    assert sorted(n for n, _pid in started) == list(range(count))
    assert sorted(n for n, _pid in done) == list(range(count))
    results = queue.results()
    assert len(results) == count
    assert {status for status, _ids, _n in results} == {"SUCCESSFUL"}
    assert all(len(ids) == 1 for _status, ids, _n in results)
    # Both took part: the claim, not luck, kept them apart.
    assert {ids[0] for _status, ids, _n in results} == {"worker-one", "worker-two"}
    assert {pid for _n, pid in done} == {one.pid, two.pid}


def _killed_worker_task_runs_on_another(queue: Queue) -> float:
    first = queue.start_worker("worker-killed")
    queue.enqueue(count=1, sleep=60)
    _wait(lambda: bool(lines(queue.marks / "started")), "the task started", 60)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()

    second = queue.start_worker("worker-after")
    _wait(lambda: bool(lines(queue.marks / "done")), "the task finished", 60)
    took = time.monotonic() - killed_at

    assert lines(queue.marks / "started") == [(0, first.pid), (0, second.pid)]
    assert lines(queue.marks / "done") == [(0, second.pid)]
    assert queue.results() == [("SUCCESSFUL", ["worker-killed", "worker-after"], 0)]
    log = (queue.marks.parent / "worker-after.log").read_text()
    assert "worker-killed stopped beating; queued again" in log
    # Not before the lease ran out: the dead worker's beat had to go stale.
    assert took >= LEASE_SECONDS
    print(f"kill -9 to done elsewhere: {took:.1f} s", file=sys.stderr)
    return took


def test_two_workers_on_sqlite_run_each_task_once(sqlite_queue: Queue) -> None:
    _each_task_runs_once(sqlite_queue)


def test_a_task_of_a_worker_killed_on_sqlite_runs_on_another(
    sqlite_queue: Queue,
) -> None:
    _killed_worker_task_runs_on_another(sqlite_queue)


@pytest.mark.postgresql
def test_two_workers_on_postgresql_run_each_task_once(
    postgresql_queue: Queue,
) -> None:
    _each_task_runs_once(postgresql_queue)


@pytest.mark.postgresql
def test_a_task_of_a_worker_killed_on_postgresql_runs_on_another(
    postgresql_queue: Queue,
) -> None:
    _killed_worker_task_runs_on_another(postgresql_queue)
