"""The boot of a SIGHUP re-exec: signals caught before ``site`` and the app load."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ondas.ops import drain, serve_boot, serve_signals
from ondas.ops.serve_reload import BOOT_FILE, CHECK_NICENESS, CodeCheck

ROOT = Path(__file__).resolve().parents[2]


def test_boot_names_are_the_ones_drain_and_serve_signals_use() -> None:
    assert serve_boot.RUNTIME_DIR_ENV == drain.RUNTIME_DIR_ENV
    assert serve_boot.MARKER_NAME == drain.MARKER_NAME
    assert set(serve_boot.STOP_SIGNALS) == serve_signals.STOP_SIGNALS
    assert set(serve_boot.ARBITER_SIGNALS) == serve_signals.ARBITER_SIGNALS
    assert Path(BOOT_FILE) == Path(serve_boot.__file__)


def test_a_stop_puts_the_marker_up_and_every_signal_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(drain.RUNTIME_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(serve_boot, "caught", [])
    serve_boot.catch(signal.SIGHUP, None)
    assert not (tmp_path / "draining").exists()
    serve_boot.catch(signal.SIGTERM, None)
    assert (tmp_path / "draining").exists()
    serve_boot.catch(signal.SIGUSR1, None)
    assert serve_boot.caught == [signal.SIGHUP, signal.SIGTERM, signal.SIGUSR1]


def test_a_stop_with_the_runtime_directory_gone_is_still_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(drain.RUNTIME_DIR_ENV, str(tmp_path / "gone"))
    monkeypatch.setattr(serve_boot, "caught", [])
    serve_boot.catch(signal.SIGTERM, None)
    assert serve_boot.caught == [signal.SIGTERM]


def test_hold_early_replays_what_the_boot_caught_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(drain.RUNTIME_DIR_ENV, raising=False)
    monkeypatch.delenv(serve_signals.RETIRING_ENV, raising=False)
    previous = {sig: signal.getsignal(sig) for sig in serve_signals.ARBITER_SIGNALS}
    try:
        serve_signals.caught_at_boot([signal.SIGHUP, signal.SIGUSR2])
        serve_signals.hold_early()
        assert serve_signals.take_held() == [signal.SIGHUP, signal.SIGUSR2]
        serve_signals.caught_at_boot([signal.SIGTTIN, signal.SIGINT, signal.SIGHUP])
        with pytest.raises(serve_signals.EarlyStop) as stop:
            serve_signals.hold_early()
        assert stop.value.signum == signal.SIGINT
        assert serve_signals.take_held() == [signal.SIGTTIN]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        drain.drain_reset()


def test_a_term_pending_across_exec_stops_the_new_image_and_its_old_workers(
    tmp_path: Path,
) -> None:
    """The re-exec's start line, with a TERM pending before Python even starts."""
    old_worker = subprocess.Popen(["sleep", "60"])  # noqa: S607
    runtime = tmp_path / "ondas-serve-x"
    runtime.mkdir()
    env = os.environ | {
        drain.RUNTIME_DIR_ENV: str(runtime),
        serve_signals.RETIRING_ENV: str(old_worker.pid),
        "PYTHONPATH": str(ROOT / "src"),
    }

    def term_pending() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, serve_signals.ARBITER_SIGNALS)
        os.kill(os.getpid(), signal.SIGTERM)

    try:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-S", BOOT_FILE, "ondas", "serve", "--port", "1"],
            env=env,
            preexec_fn=term_pending,  # noqa: PLW1509 - before exec, on purpose
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "SIGTERM before the arbiter started: stopping" in done.stderr
        assert old_worker.wait(timeout=10) == -signal.SIGTERM
        # The directory it inherited is removed as the server stops.
        assert not runtime.exists()
    finally:
        old_worker.kill()
        old_worker.wait()


def test_the_code_check_of_a_reload_runs_at_a_lower_priority() -> None:
    """It loads the whole app (1 s idle, seconds loaded): after the serving."""
    check = CodeCheck(cwd=str(ROOT))
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while (result := check.poll()) is None and time.monotonic() < deadline:
        with contextlib.suppress(ProcessLookupError):
            seen.add(os.getpriority(os.PRIO_PROCESS, check.pid))
        time.sleep(0.005)
    if result is None:
        check.kill()
        pytest.fail("no verdict from the code check in 60 s")
    assert result.passed, result.detail
    assert max(seen, default=0) >= os.getpriority(os.PRIO_PROCESS, 0) + CHECK_NICENESS
    assert CHECK_NICENESS >= 5
