"""Whether this `ondas serve` is draining: shared by the arbiter and its workers.

`ondas serve` makes a runtime directory for each run (``ONDAS_RUNTIME_DIR``).
On SIGTERM (or SIGINT/SIGQUIT) the arbiter creates the file ``draining`` in
it *before* it signals the workers, so from that moment every worker's
``/readyz`` answers 503 and a load balancer takes the node out, while the
requests and audio streams already in flight finish.

A worker that stops because of a SIGHUP reload is *not* draining the node:
its replacements are already serving, and ``/readyz`` stays 200 throughout.
Outside `ondas serve` (tests, `ondas manage`) nothing is ever draining unless
``drain_begin`` is called in this process.
"""

from __future__ import annotations

import os
from pathlib import Path

RUNTIME_DIR_ENV = "ONDAS_RUNTIME_DIR"
MARKER_NAME = "draining"

_draining_here = False


def runtime_dir() -> Path | None:
    """Return this server's runtime directory, or None outside `ondas serve`."""
    raw = os.environ.get(RUNTIME_DIR_ENV, "")
    return Path(raw) if raw else None


def drain_begin() -> None:
    """Mark the whole server as draining (called by the arbiter on SIGTERM)."""
    global _draining_here
    _draining_here = True
    directory = runtime_dir()
    if directory is not None:
        try:
            (directory / MARKER_NAME).touch()
        except OSError:  # the directory is gone: we are stopping anyway
            pass


def drain_reset() -> None:
    """Forget a drain begun in this process (tests; a fresh runtime directory)."""
    global _draining_here
    _draining_here = False
    directory = runtime_dir()
    if directory is not None:
        (directory / MARKER_NAME).unlink(missing_ok=True)


def is_draining() -> bool:
    """Return whether this server has begun to drain."""
    if _draining_here:
        return True
    directory = runtime_dir()
    return directory is not None and (directory / MARKER_NAME).exists()
