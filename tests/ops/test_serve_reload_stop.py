"""SIGTERM and SIGHUP at any moment of a reload of `ondas serve` (issue 12, item 7).

A stop starts the drain the moment it arrives, whatever the reload is doing
(checking the new code, re-executing, preloading, forking, retiring the old
workers); a SIGHUP is never lost, and the last one loads the code on disk
as it was when it came.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.serve_load import (
    KeepAliveLoad,
    MarkerWatch,
    ReadyProbe,
    probe_env,
    wait_for_new_workers,
)
from tests.support.servers import MIB, Site, get, ondas_serve, temporary_site

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with temporary_site(size=2 * MIB + 4321) as made:
        yield made


GRACEFUL = 10
# Moments drawn uniformly over 1.2 reloads; each trial costs about 3 s (20
# trials made this one test a minute of the suite's serial part).
TRIALS = 12
SEED = 12_07


def _serve_env(site: Site, version: str, tmpdir: Path) -> dict[str, str]:
    tmpdir.mkdir(exist_ok=True)
    return probe_env(site, version) | {"TMPDIR": str(tmpdir)}


def _sigterm_trial(site: Site, trial: int, delay: float) -> dict[str, float]:
    """HUP with new code on disk, TERM ``delay`` s later, under load; measure."""
    tmpdir = site.root / f"tmp-{trial}"
    env = _serve_env(site, f"t{trial}", tmpdir)
    # Left by a server that was killed: removed at start (MarkerWatch expects
    # the one directory of the server it watches).
    stale = tmpdir / "ondas-serve-killed"
    stale.mkdir()
    (stale / "server.lock").touch()
    args = ("--graceful-timeout", str(GRACEFUL))
    with ondas_serve(site, workers=2, threads=4, env=env, args=args) as served:
        with (
            MarkerWatch(tmpdir) as marker,
            KeepAliveLoad(
                served.port, site, clients=8, deadline=time.monotonic() + 60
            ) as load,
            ReadyProbe(served.port) as probe,
        ):
            time.sleep(0.3)
            probe_env(site, f"t{trial}-new")
            served.proc.send_signal(signal.SIGHUP)
            time.sleep(delay)
            load.stopping_since = termed = time.monotonic()
            served.proc.send_signal(signal.SIGTERM)
            try:
                served.proc.wait(timeout=GRACEFUL + 5)
            except subprocess.TimeoutExpired:
                pytest.fail(f"trial {trial}: still running {GRACEFUL + 5} s after TERM")
            exited = time.monotonic() - termed
    where = f"trial {trial}, TERM {delay:.2f} s after HUP\n{served.log_text()[-3000:]}"
    assert served.proc.returncode == 0, where
    assert marker.seen_at is not None, f"{where}: the drain marker never appeared"
    late = [
        (round(sent - termed, 3), outcome)
        for sent, outcome in probe.samples
        if sent >= termed + 0.1 and outcome not in (503, "refused")
    ]
    assert late == [], f"{where}: /readyz still ready after TERM: {late}"
    assert load.failures == [], f"{where}: {load.failures[:10]}"
    assert exited < GRACEFUL, where
    assert marker.seen_at - termed < 0.1, (
        f"{where}: marker after {marker.seen_at - termed:.3f} s"
    )
    assert list(tmpdir.glob("ondas-serve-*")) == [], f"{where}: runtime dir left"
    return {
        "marker": marker.seen_at - termed,
        "exit": exited,
        "ok": load.ok,
        "refused": load.refused,
    }


def test_sigterm_at_random_moments_of_a_reload_under_load_drains_at_once(
    site: Site,
) -> None:
    """Whatever the reload is doing, TERM starts the drain within 100 ms.

    The moments are drawn over a whole reload (code check, re-exec, preload,
    new workers, old ones retiring), as long as it took here first.
    """
    tmpdir = site.root / "tmp-measure"
    with ondas_serve(
        site, workers=2, threads=4, env=_serve_env(site, "m", tmpdir)
    ) as s:
        workers = s.workers()
        began = time.monotonic()
        probe_env(site, "m2")
        s.proc.send_signal(signal.SIGHUP)
        wait_for_new_workers(s.pid, workers, 2, timeout=30)
        reload_takes = time.monotonic() - began
    rng = random.Random(SEED)
    figures = [
        _sigterm_trial(site, trial, rng.uniform(0, 1.2 * reload_takes))
        for trial in range(TRIALS)
    ]
    marker = max(f["marker"] for f in figures)
    print(
        f"\nreload {reload_takes:.2f} s; {TRIALS} trials: marker up within "
        f"{marker * 1000:.0f} ms, exit within {max(f['exit'] for f in figures):.2f} s, "
        f"{sum(f['ok'] for f in figures)} requests ok, "
        f"{sum(f['refused'] for f in figures)} reconnects refused after TERM"
    )
    assert marker < 0.1


def test_sighups_at_any_moment_of_a_reload_end_in_the_latest_code(site: Site) -> None:
    """HUPs during a check, a re-exec or a preload are kept: the last code wins.

    Each burst writes a new version and sends a HUP, three times, at moments
    drawn over a reload; then the server settles on the last version (no
    worker of an older one left) and stays up.
    """
    rng = random.Random(SEED + 1)
    env = probe_env(site, "h0")
    with ondas_serve(site, workers=2, threads=4, env=env) as served:
        workers = served.workers()
        began = time.monotonic()
        probe_env(site, "h1")
        served.proc.send_signal(signal.SIGHUP)
        wait_for_new_workers(served.pid, workers, 2, timeout=30)
        reload_takes = time.monotonic() - began
        for burst in range(2):
            for step in range(3):
                version = f"h{burst}-{step}"
                probe_env(site, version)
                served.proc.send_signal(signal.SIGHUP)
                time.sleep(rng.uniform(0, 1.2 * reload_takes))
            _wait_until_only(served.port, version, served.log_text)
        assert served.proc.poll() is None
        log = served.log_text()
    assert "Reload refused" not in log
    assert log.count("Re-executing with the new code") >= 3, log[-3000:]


def _wait_until_only(port: int, version: str, log: Callable[[], str]) -> None:
    """Wait until 20 answers in a row are ``version`` (old workers all gone)."""
    deadline = time.monotonic() + 30
    in_a_row = 0
    while in_a_row < 20:
        if time.monotonic() > deadline:
            pytest.fail(f"not only {version} after 30 s\n{log()[-3000:]}")
        _response, body = get(port, "/probe")
        in_a_row = in_a_row + 1 if body == version.encode() else 0
