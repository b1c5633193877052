"""The runtime directory of one `ondas serve`: made, held, and cleaned once dead.

Each server has a directory ``ondas-serve-*`` in the system's temporary
folder for its drain marker and its processes' metrics files
(``ondas.ops.drain``, ``ondas.ops.metrics``). The arbiter removes it when it
exits; a server that was killed cannot, and its directory stays behind.

So every server holds a shared ``flock`` on the file ``server.lock`` in its
directory for as long as any of its processes lives (the workers inherit it
through fork(), a SIGHUP re-exec takes it again), and at start removes the
directories whose lock nobody holds. A directory with no lock file (made by
an older Ondas) counts as dead once nothing in it changed for
``LOCKLESS_STALE_AFTER`` seconds: a live server rewrites its metrics files
every second.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

logger = logging.getLogger(__name__)

PREFIX = "ondas-serve-"
LOCK_NAME = "server.lock"
LOCKLESS_STALE_AFTER = 600.0

# The descriptor holding this process's shared lock (kept open on purpose).
_held_lock: int | None = None


def runtime_dir_make() -> Path:
    """Make and hold a fresh runtime directory, after removing dead servers' ones."""
    runtime_dirs_clean_stale()
    path = Path(tempfile.mkdtemp(prefix=PREFIX))
    # Locked before it has its name: a cleaner never sees it unheld.
    making = path / (LOCK_NAME + ".new")
    _hold(os.open(making, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    os.rename(making, path / LOCK_NAME)
    return path


def runtime_dir_hold(path: Path) -> None:
    """Hold the lock of an inherited directory (after a SIGHUP re-exec)."""
    _hold(os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600))


def _hold(fd: int) -> None:
    global _held_lock
    fcntl.flock(fd, fcntl.LOCK_SH)
    if _held_lock is not None:
        os.close(_held_lock)
    _held_lock = fd


def runtime_dirs_clean_stale(base: Path | None = None) -> list[Path]:
    """Remove the runtime directories of servers that are gone; return them."""
    base = base or Path(tempfile.gettempdir())
    removed = []
    try:
        candidates = sorted(base.glob(PREFIX + "*"))
    except OSError:
        return []
    for path in candidates:
        try:
            if _is_stale(path):
                shutil.rmtree(path)
                removed.append(path)
        except OSError as exc:
            logger.warning("Could not clean %s: %s", path, exc)
    if removed:
        logger.info("Removed %d runtime directories of dead servers", len(removed))
    return removed


def _is_stale(path: Path) -> bool:
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return _newest_change(path) < time.time() - LOCKLESS_STALE_AFTER
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live server holds it
    finally:
        # Only ever locked by its own server, under its final name.
        with contextlib.suppress(OSError):
            os.close(fd)
    return True


def _newest_change(path: Path) -> float:
    newest = path.lstat().st_mtime
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            with contextlib.suppress(OSError):
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest
