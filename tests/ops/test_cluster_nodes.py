"""Two `ondas serve` nodes and a worker on one PostgreSQL database and one media
directory, behind a real nginx (issue 16, item 4): under a mixed load one node
is killed with -9; nginx routes around it, a player resuming with Range gets
the file's bytes, no acknowledged progress write is lost, and the node, started
again on its port, takes traffic again. Every process started is stopped, and
every wait is bounded."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from pytest_django.fixtures import Settings

from ondas.ops.jobs import JOBS_BY_NAME
from ondas.playback.models import ListeningProgress
from tests.support.cluster import (
    Catalog,
    Load,
    Outcome,
    answered_by,
    cluster_catalog_make,
)
from tests.support.serve_load import wait_for_new_workers
from tests.support.servers import (
    ONDAS,
    Served,
    Site,
    nginx_running,
    ondas_serve,
    stop_group,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_root(settings: Settings) -> Iterator[Path]:
    """A media directory nginx's workers (nobody) can read, outside pytest's
    private base directory; the catalog's audio is stored there."""
    root = Path(tempfile.mkdtemp(prefix="ondas-cluster-"))
    (root / "media").mkdir()
    for path in (root, root / "media"):
        path.chmod(0o755)
    settings.MEDIA_ROOT = str(root / "media")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _node_env(root: Path, name: str) -> dict[str, str]:
    db = connection.settings_dict
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ONDAS_", "PROMETHEUS_")) and k != "SENDFILE"
    }
    env |= {
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "ONDAS_DATA_DIR": str(root / f"data-{name}"),
        "ONDAS_MEDIA_ROOT": str(root / "media"),
        "ONDAS_NODE_NAME": name,
        # The test's own key: the listener's session was signed in here.
        "ONDAS_SECRET_KEY": django_settings.SECRET_KEY,
        "ONDAS_LOG_LEVEL": "WARNING",
        "ONDAS_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ONDAS_AUDIO_ACCEL_PREFIX": "/_protected_media/",
        # Every audio request asks a node, so a dead node is on its path.
        "ONDAS_AUDIO_RIGHTS_TTL": "0",
        "ONDAS_JOBS_OFF": ",".join(JOBS_BY_NAME),
    }
    (root / f"data-{name}").mkdir(exist_ok=True)
    return env


def _wait(ready: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {timeout} s")


def _beats() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT worker_id FROM ops_workerbeat")
        found = {row[0] for row in cursor.fetchall()}
    connection.close()
    return found


def _assert_no_acknowledged_write_lost(load: Load, catalog: Catalog) -> int:
    """Every episode holds its last acknowledged position, or a later one that
    was sent and went unanswered (committed before its node died)."""
    stored = {
        row.item_id: row.position_seconds
        for row in ListeningProgress.objects.filter(
            user=catalog.listener, kind="episode"
        )
    }
    acknowledged = 0
    for episode in catalog.progress_episodes:
        sent = [(pos, status) for e, pos, status, _ in load.writes if e == episode]
        acked = [pos for pos, status in sent if status == 200]
        acknowledged += len(acked)
        if not acked:
            continue
        last = max(acked)
        later = {pos for pos, status in sent if pos > last}
        assert stored.get(episode) == last or stored.get(episode) in later, (
            episode,
            stored.get(episode),
            last,
        )
    return acknowledged


@dataclass
class Cluster:
    catalog: Catalog
    site: Site
    a: Served
    b: Served
    env_b: dict[str, str]
    worker: subprocess.Popen[bytes]
    access_log: Path
    stack: ExitStack
    load: Load

    @property
    def node_a(self) -> str:
        return f"127.0.0.1:{self.a.port}"

    @property
    def node_b(self) -> str:
        return f"127.0.0.1:{self.b.port}"

    def wait_answers(self, node: str, *, start: int = 0, count: int = 10) -> None:
        _wait(
            lambda: answered_by(self.access_log, start=start).get(node, 0) >= count,
            f"{node} answers",
            30,
        )

    def failed(self) -> list[Outcome]:
        """Every page or range that did not answer 2xx with the right bytes."""
        outcomes = self.load.outcomes
        return [o for o in outcomes if o.status not in (200, 206) or o.detail]


@pytest.fixture
def cluster(shared_root: Path, transactional_db: None) -> Iterator[Cluster]:
    """Two nodes, a worker and nginx on the test database, a load ready to start;
    everything is stopped after the test, in reverse order."""
    catalog = cluster_catalog_make(episodes=40)
    for path in (shared_root / "media").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    env_a, env_b = _node_env(shared_root, "a"), _node_env(shared_root, "b")
    site = Site(
        root=shared_root,
        env=env_a,
        audio_id=catalog.free_audio,
        data=catalog.free_bytes,
    )
    with ExitStack() as stack:
        a = stack.enter_context(ondas_serve(site, workers=1, env=env_a, name="a"))
        b = stack.enter_context(ondas_serve(site, workers=1, env=env_b, name="b"))
        worker_log = (shared_root / "worker.log").open("wb")
        stack.callback(worker_log.close)
        worker = subprocess.Popen(
            [ONDAS, "worker", "--no-startup-delay", "--worker-id", "cluster-worker"],
            env=env_a | {"ONDAS_DATA_DIR": str(shared_root / "data-w")},
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stack.callback(stop_group, worker)
        # The site as `ondas deploy nginx --upstream A --upstream B` writes it.
        nginx = stack.enter_context(nginx_running(site, upstream=[a.port, b.port]))
        _wait(lambda: "cluster-worker" in _beats(), "the worker beats", 60)
        load = Load(port=nginx.port, catalog=catalog)
        stack.callback(load.stop)
        yield Cluster(
            catalog=catalog,
            site=site,
            a=a,
            b=b,
            env_b=env_b,
            worker=worker,
            access_log=nginx.tmp / "access.log",
            stack=stack,
            load=load,
        )


def test_cluster_node_killed_under_load_is_routed_around_and_rejoins(
    cluster: Cluster,
) -> None:
    c, load = cluster, cluster.load
    load.start()
    c.wait_answers(c.node_a)
    c.wait_answers(c.node_b)

    os.killpg(c.b.pid, signal.SIGKILL)
    c.b.proc.wait(timeout=10)
    time.sleep(0.3)  # answers B sent before it died are logged by now
    killed_at = c.access_log.stat().st_size
    time.sleep(5)
    down = answered_by(c.access_log, start=killed_at)

    b_again = c.stack.enter_context(
        ondas_serve(c.site, workers=1, env=c.env_b, name="b-again", port=c.b.port)
    )
    c.wait_answers(c.node_b, start=c.access_log.stat().st_size)
    load.stop()
    assert c.worker.poll() is None, "the worker died"
    assert b_again.proc.poll() is None

    kinds = [o.kind for o in load.outcomes]
    assert c.failed() == [], c.failed()[:10]
    assert all(kinds.count(k) >= 10 for k in ("page", "range", "resume"))
    # While B was dead, A alone answered, and not only a few requests.
    assert down.get(c.node_b, 0) == 0, down
    assert down.get(c.node_a, 0) >= 20, down
    # The player's bytes, across the kill, are the file's.
    assert bytes(load.resumed) == c.catalog.free_bytes[: len(load.resumed)]
    acknowledged = _assert_no_acknowledged_write_lost(load, c.catalog)
    assert acknowledged >= 40, load.unacknowledged
    print(  # noqa: T201 - the figures, for the report (pytest -s)
        f"requests {len(load.outcomes)} + writes {len(load.writes)} "
        f"(acknowledged {acknowledged}); while B was dead: {down}"
    )


def test_cluster_rolling_reload_under_load_drops_nothing(cluster: Cluster) -> None:
    """SIGHUP node by node (each waits for the last one's new workers): every
    request and every progress write is answered 2xx, and both nodes serve."""
    c, load = cluster, cluster.load
    load.start()
    c.wait_answers(c.node_a)
    c.wait_answers(c.node_b)
    for node, served in ((c.node_a, c.a), (c.node_b, c.b)):
        before = served.workers()
        served.proc.send_signal(signal.SIGHUP)
        wait_for_new_workers(served.pid, before, 1, timeout=60)
        c.wait_answers(node, start=c.access_log.stat().st_size)
    load.stop()

    assert c.failed() == [], c.failed()[:10]
    assert {status for _e, _p, status, _a in load.writes} == {200}, load.unacknowledged
    acknowledged = _assert_no_acknowledged_write_lost(load, c.catalog)
    assert acknowledged >= 20
    print(  # noqa: T201 - the figures, for the report (pytest -s)
        f"rolling reload: requests {len(load.outcomes)} + writes {acknowledged}"
    )
