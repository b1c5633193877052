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
    answered_by,
    cluster_catalog_make,
    two_node_upstream,
)
from tests.support.servers import ONDAS, Site, nginx_running, ondas_serve, stop_group

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


def test_cluster_node_killed_under_load_is_routed_around_and_rejoins(
    shared_root: Path, transactional_db: None
) -> None:
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
        nginx = stack.enter_context(
            nginx_running(site, upstream=a.port, edit=two_node_upstream(a.port, b.port))
        )
        access_log = nginx.tmp / "access.log"
        _wait(lambda: "cluster-worker" in _beats(), "the worker beats", 60)

        load = Load(port=nginx.port, catalog=catalog)
        load.start()
        stack.callback(load.stop)
        node_a, node_b = f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"
        _wait(
            lambda: (
                min(answered_by(access_log).get(n, 0) for n in (node_a, node_b)) >= 10
            ),
            "both nodes answer",
            30,
        )

        os.killpg(b.pid, signal.SIGKILL)
        b.proc.wait(timeout=10)
        time.sleep(0.3)  # answers B sent before it died are logged by now
        killed_at = access_log.stat().st_size
        time.sleep(5)
        down = answered_by(access_log, start=killed_at)

        b_again = stack.enter_context(
            ondas_serve(site, workers=1, env=env_b, name="b-again", port=b.port)
        )
        restarted_at = access_log.stat().st_size
        _wait(
            lambda: answered_by(access_log, start=restarted_at).get(node_b, 0) >= 10,
            "the restarted node answers",
            30,
        )
        load.stop()
        assert worker.poll() is None, "the worker died"
        assert b_again.proc.poll() is None

    by_kind: dict[str, list[int]] = {}
    for outcome in load.outcomes:
        by_kind.setdefault(outcome.kind, []).append(outcome.status)
    failed = [o for o in load.outcomes if o.status not in (200, 206) or o.detail]
    assert failed == [], failed[:10]
    assert all(len(by_kind.get(k, [])) >= 10 for k in ("page", "range", "resume"))
    # While B was dead, A alone answered, and not only a few requests.
    assert down.get(node_b, 0) == 0, down
    assert down.get(node_a, 0) >= 20, down
    # The player's bytes, across the kill, are the file's.
    assert bytes(load.resumed) == catalog.free_bytes[: len(load.resumed)]
    acknowledged = _assert_no_acknowledged_write_lost(load, catalog)
    assert acknowledged >= 40, load.unacknowledged
    print(  # noqa: T201 - the figures, for the report (pytest -s)
        f"requests {len(load.outcomes)} + writes {len(load.writes)} "
        f"(acknowledged {acknowledged}); while B was dead: {down}"
    )
