"""The runtime directories of `ondas serve`: a dead server's is removed at start."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from ondas.ops.serve_runtime import LOCK_NAME, PREFIX, runtime_dirs_clean_stale


def _server_dir(base: Path, name: str, *, lock: bool = True) -> Path:
    path = base / (PREFIX + name)
    (path / "metrics").mkdir(parents=True)
    (path / "metrics" / "counter_1.db").write_bytes(b"x")
    if lock:
        (path / LOCK_NAME).touch()
    return path


def test_directories_whose_lock_nobody_holds_are_removed(tmp_path: Path) -> None:
    live = _server_dir(tmp_path, "live")
    dead = _server_dir(tmp_path, "dead")
    unrelated = tmp_path / "something-else"
    unrelated.mkdir()
    # What a running server does: a shared lock for as long as it lives.
    held = os.open(live / LOCK_NAME, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_SH)
        removed = runtime_dirs_clean_stale(tmp_path)
    finally:
        os.close(held)
    assert removed == [dead]
    assert live.is_dir() and not dead.exists() and unrelated.is_dir()


def test_lockless_directories_go_only_once_nothing_changed_for_long(
    tmp_path: Path,
) -> None:
    fresh = _server_dir(tmp_path, "fresh", lock=False)
    old = _server_dir(tmp_path, "old", lock=False)
    long_ago = time.time() - 3600
    for path in (old, old / "metrics", old / "metrics" / "counter_1.db"):
        os.utime(path, (long_ago, long_ago))
    assert runtime_dirs_clean_stale(tmp_path) == [old]
    assert fresh.is_dir()
