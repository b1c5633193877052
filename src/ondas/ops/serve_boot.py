"""The first milliseconds of `ondas serve` after a SIGHUP re-exec.

The old image re-executes ``python -S serve_boot.py ARGV…`` with the
arbiter's signals blocked. Python's own start-up, ``site`` and the imports
of ``ondas.ops.serve`` take 30 ms idle here and 100–150 ms on a loaded box:
until ``hold_early()`` runs, a SIGTERM waits in the kernel and ``/readyz``
keeps answering 200 for the old workers. This file imports only what the
interpreter has already loaded (``os``, ``sys``) and the built-in
``_signal``, so its handlers are in place about 6 ms after exec().

A stop caught here puts the drain marker up at once (what a load balancer
watches); the rest of the stop — the listening sockets, the old workers,
the ``EarlyStop`` — and every other signal are replayed by ``hold_early()``
in the order they came. Run as a module import (tests), nothing happens.
"""

import _signal  # type: ignore[import-not-found]  # no stubs; signal.py costs 3 ms more
import os
import sys

# The same names as ondas.ops.drain and ondas.ops.serve_signals, which this
# file cannot import before ``site`` (tests/ops/test_serve_boot.py checks).
RUNTIME_DIR_ENV = "ONDAS_RUNTIME_DIR"
MARKER_NAME = "draining"
STOP_SIGNALS = (_signal.SIGTERM, _signal.SIGINT, _signal.SIGQUIT)
ARBITER_SIGNALS = (
    _signal.SIGHUP,
    _signal.SIGTERM,
    _signal.SIGINT,
    _signal.SIGQUIT,
    _signal.SIGUSR1,
    _signal.SIGUSR2,
    _signal.SIGTTIN,
    _signal.SIGTTOU,
    _signal.SIGWINCH,
)

caught: list[int] = []


def catch(signum: int, frame: object) -> None:
    """Keep the signal for ``hold_early()``; put the drain marker up on a stop."""
    stopping = any(sig in STOP_SIGNALS for sig in caught)
    caught.append(signum)
    first_stop = signum in STOP_SIGNALS and not stopping
    if first_stop:
        mark_draining()


def mark_draining() -> None:
    directory = os.environ.get(RUNTIME_DIR_ENV)
    if not directory:
        return
    try:
        path = os.path.join(directory, MARKER_NAME)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError:  # the directory is gone: the server is stopping anyway
        return
    os.close(fd)


def main() -> None:
    for signum in ARBITER_SIGNALS:
        _signal.signal(signum, catch)
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, ARBITER_SIGNALS)
    # Run as a file, sys.path[0] is this folder: its modules (metrics, views…)
    # must not shadow top-level packages.
    del sys.path[0]
    import site

    site.main()
    from ondas.ops import serve_signals

    serve_signals.caught_at_boot(caught)
    from ondas.ops.cli import main as ondas_main

    sys.argv = sys.argv[1:]
    sys.exit(ondas_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
