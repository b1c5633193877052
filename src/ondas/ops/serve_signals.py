"""The signals of `ondas serve` in the moments Gunicorn's handlers cannot see them.

Gunicorn's arbiter installs its handlers in ``Arbiter.start()`` and queues what
they catch in memory. Around a SIGHUP re-exec (``ondas.ops.serve_reload``) and
around ``fork()`` that leaves three gaps, closed here:

- **Across exec().** What the old image has queued but not handled is written
  to ``ONDAS_SERVE_PENDING_SIGNALS`` and handled first by the new image; what
  arrives during exec() stays pending in the kernel, the signals being
  blocked across it.
- **Before the new image has its handlers.** ``ondas.ops.serve_boot``
  catches them from about 6 ms after exec(), puts the drain marker up on a
  stop, and leaves the rest to ``hold_early()``. Preloading the app takes 0.5 s
  idle and several seconds under load. ``hold_early()`` is the first thing
  `ondas serve` does: a SIGTERM, SIGINT or SIGQUIT then puts the drain marker
  up, passes the stop on to the old image's workers (still the ones serving)
  and raises ``EarlyStop``, so the image stops instead of preloading; any
  other signal is kept for the arbiter to handle once it runs.
- **Between fork() and a worker's own handlers.** A just-forked worker still
  runs the arbiter's handlers, which queue into a copy of the arbiter's
  memory nobody reads: a SIGTERM there was swallowed. The arbiter forks with
  the workers' signals blocked; the worker unblocks them once its handlers
  are in place, and gets then what came meanwhile.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import struct
import sys
import time
from collections.abc import Iterable, Iterator
from types import FrameType

from ondas.ops.drain import drain_begin

# The old image's workers, for the new image to stop once its own serve.
RETIRING_ENV = "ONDAS_SERVE_RETIRING_PIDS"
# Signals the old image had queued and not handled when it re-executed.
PENDING_ENV = "ONDAS_SERVE_PENDING_SIGNALS"
# Gunicorn's arbiter signals (Arbiter.SIGNALS).
ARBITER_SIGNALS = frozenset(
    {
        signal.SIGHUP,
        signal.SIGTERM,
        signal.SIGINT,
        signal.SIGQUIT,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGTTIN,
        signal.SIGTTOU,
        signal.SIGWINCH,
    }
)
# The signals that stop the server.
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGQUIT})
# Gunicorn's worker signals (Worker.SIGNALS), blocked from fork() until the
# worker has its handlers.
WORKER_SIGNALS = frozenset(
    {
        signal.SIGABRT,
        signal.SIGHUP,
        signal.SIGQUIT,
        signal.SIGINT,
        signal.SIGTERM,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGWINCH,
        signal.SIGCHLD,
    }
)
# The first inherited descriptor (sd_listen_fds(3)).
LISTEN_FDS_START = 3
# Linux's SO_ATTACH_FILTER and the classic BPF "return 0" (drop) instruction.
_SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)
_BPF_RET_K = 0x06


class EarlyStop(BaseException):  # noqa: N818 - a stop, like KeyboardInterrupt
    """Raised when a stop signal comes before the arbiter has its handlers."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_held: list[int] = []
_boot_caught: list[int] = []
_stopping = False
_listeners_closed = False


def retiring_pids() -> list[int]:
    """The old image's workers this image inherited (none on a first start)."""
    raw = os.environ.get(RETIRING_ENV, "")
    return [int(pid) for pid in raw.split(",") if pid.strip().isdigit()]


def encode(signals: Iterable[int]) -> str:
    return ",".join(str(int(sig)) for sig in signals)


def decode(raw: str) -> list[int]:
    return [int(sig) for sig in raw.split(",") if sig.strip().isdigit()]


def caught_at_boot(caught: list[int]) -> None:
    """Adopt the list ``ondas.ops.serve_boot`` keeps filling until hold_early()."""
    global _boot_caught
    _boot_caught = caught


def hold_early() -> None:
    """Catch the arbiter's signals until it installs its own handlers.

    What the boot of a re-exec caught before is handled now, in order: a
    stop among it raises ``EarlyStop`` from here.
    """
    global _stopping, _listeners_closed, _boot_caught
    _stopping = _listeners_closed = False
    _held.clear()
    for sig in ARBITER_SIGNALS:
        signal.signal(sig, _early_handler)
    # Blocked by the old image across exec(): what came meanwhile arrives now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, ARBITER_SIGNALS)
    # The boot's handlers are replaced: its list is complete.
    boot, _boot_caught = list(_boot_caught), []
    for signum in boot:
        _early_handler(signum, None)


def _early_handler(signum: int, frame: FrameType | None) -> None:
    global _stopping
    if signum not in STOP_SIGNALS:
        _held.append(signum)
        return
    drain_begin()
    # This image's copies of the listening sockets first: see
    # ``close_inherited_listeners``.
    close_inherited_listeners()
    quick = signum != signal.SIGTERM
    for pid in retiring_pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT if quick else signal.SIGTERM)
    if not _stopping:
        _stopping = True
        raise EarlyStop(signum)


def take_held() -> list[int]:
    """Signals to handle first: carried over exec(), then caught early."""
    carried = decode(os.environ.pop(PENDING_ENV, ""))
    held, _held[:] = list(_held), []
    return carried + held


def finish_early_stop(stop: EarlyStop, *, graceful_timeout: float) -> None:
    """Stop an image that was told to before it could run its arbiter.

    The listening sockets it inherited are closed, so that once the old
    workers (told already, by the handler) close theirs, connecting clients
    are refused rather than queued and reset. Those workers are waited for,
    and killed at the graceful timeout.
    """
    name = signal.Signals(stop.signum).name
    sys.stderr.write(f"ondas serve: {name} before the arbiter started: stopping\n")
    close_inherited_listeners()
    pids = set(retiring_pids())
    deadline = time.monotonic() + graceful_timeout
    while pids and time.monotonic() < deadline:
        pids = {pid for pid in pids if not _reaped(pid)}
        time.sleep(0.05)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def close_inherited_listeners() -> None:
    """Stop the handshakes on the sockets a SIGHUP re-exec handed over, close them.

    Called before the old workers are told to stop (see ``stop_handshakes``).
    """
    global _listeners_closed
    if _listeners_closed or os.environ.get("LISTEN_PID") != str(os.getpid()):
        return
    _listeners_closed = True
    count = int(os.environ.get("LISTEN_FDS", "0") or 0)
    for fd in range(LISTEN_FDS_START, LISTEN_FDS_START + count):
        stop_handshakes(fd)
        with contextlib.suppress(OSError):
            os.close(fd)


def stop_handshakes(fd: int) -> None:
    """Let no new connection complete on the listening socket ``fd`` (Linux).

    When the whole server stops, each worker takes the connections the
    kernel has queued and closes its copy of the socket; the kernel resets
    whatever it queued after the last take, once the last copy closes (a
    client saw its connection accepted, then reset). A filter that drops
    every packet to the socket, shared by all its copies, stops the kernel
    from completing handshakes first: a client connecting meanwhile sends its
    SYN again a second later and is refused then, so it tries elsewhere.
    """
    drop_all = struct.pack("HBBI", _BPF_RET_K, 0, 0, 0)
    program = ctypes.create_string_buffer(drop_all, len(drop_all))
    fprog = struct.pack("@HP", 1, ctypes.addressof(program))
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)
    except OSError:
        pass  # not Linux, or not a socket: a close is all there is
    finally:
        sock.detach()


def _reaped(pid: int) -> bool:
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


@contextlib.contextmanager
def blocked(signals: Iterable[int]) -> Iterator[None]:
    """Block ``signals`` in this thread for the block's duration."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def unblock_worker_signals() -> None:
    """Let a worker receive its signals, once its handlers are installed."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)
