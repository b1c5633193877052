"""The arbiter of `ondas serve`, and the Gunicorn application it runs."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import time
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.sock import close_sockets

from ondas.ops.drain import drain_begin
from ondas.ops.serve_head import HeadLimits
from ondas.ops.serve_reload import CodeCheck, reexec_in_place
from ondas.ops.serve_signals import (
    ARBITER_SIGNALS,
    RETIRING_ENV,
    STOP_SIGNALS,
    WORKER_SIGNALS,
    blocked,
    retiring_pids,
    stop_handshakes,
    take_held,
)


class OndasArbiter(Arbiter):  # type: ignore[misc]
    """Gunicorn's arbiter, draining at once on SIGTERM and reloading code on SIGHUP.

    SIGTERM (SIGINT, SIGQUIT): the drain marker goes up in the signal handler
    itself, whatever the main loop is doing, so ``/readyz`` answers 503 in
    every worker from that moment; then Gunicorn stops accepting and tells the
    workers to finish what they are serving.

    SIGHUP: with the app preloaded, Gunicorn's own reload would fork new
    workers from the *old* code. Instead a child process loads the new code
    (``CodeCheck``, polled from the main loop, so signals keep being handled
    meanwhile); if it loads, the arbiter re-executes itself in place: same
    pid (systemd keeps tracking it), the listening sockets handed over, the
    old workers left serving, the signals not yet handled carried over. The
    new image preloads the new code, forks its workers and only then stops
    the old ones gracefully, so there is always someone accepting. A SIGHUP
    during a check means the code may have changed since it began: it is
    checked again before the re-exec. If the new code does not load, the
    reload is refused and the old code keeps serving.
    """

    LISTENERS: list[Any]

    def start(self) -> None:
        super().start()  # installs the signal handlers
        from ondas.ops import metrics

        metrics.set_process_role("arbiter")
        self._retiring = retiring_pids()
        os.environ.pop(RETIRING_ENV, None)
        self._retire_deadline = 0.0
        self._first_seen: dict[int, float] = {}
        self._check: CodeCheck | None = None
        self._hup_again = False
        # Signals from before these handlers (the old image's queue, the
        # preload) come first, ahead of any caught since.
        self._requeue(take_held() + self._take_queued())

    def signal(self, sig: int, frame: Any) -> None:
        """Queue the signal, a stop one after putting the drain marker up."""
        if sig in STOP_SIGNALS:
            drain_begin()
        super().signal(sig, frame)

    def handle_term(self) -> None:
        self._end_check()
        drain_begin()
        super().handle_term()  # raises StopIteration: run() calls stop()

    def handle_int(self) -> None:
        self._end_check()
        drain_begin()
        super().handle_int()

    def handle_quit(self) -> None:
        self._end_check()
        drain_begin()
        super().handle_quit()

    def stop(self, graceful: bool = True) -> None:
        """Stop the workers, the old image's still retiring ones included."""
        self._end_check()
        # Before any worker is told: no new handshake completes, and a
        # worker that stops accepting takes what the kernel queued and closes
        # its own copy; once no process holds the socket a client is refused
        # (and tries elsewhere) instead of being queued and reset.
        for listener in self.LISTENERS:
            stop_handshakes(listener.fileno())
        close_sockets(self.LISTENERS, False)
        self.LISTENERS = []
        # Workers of the code before a reload still finishing: they drain too.
        retiring = self._alive(getattr(self, "_retiring", []))
        for pid in retiring:
            self._signal(pid, signal.SIGTERM if graceful else signal.SIGQUIT)
        limit = time.monotonic() + self.cfg.graceful_timeout
        super().stop(graceful)
        while retiring and time.monotonic() < limit:
            self.reap_workers()
            retiring = self._alive(retiring)
            time.sleep(0.05)
        for pid in retiring:
            self._signal(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    def handle_hup(self) -> None:
        if getattr(self, "_check", None) is not None:
            self.log.info("Hang up during a code check: checking again after it")
            self._hup_again = True
            return
        self._start_check()

    def spawn_worker(self) -> int:
        # The child runs the arbiter's handlers until it installs its own:
        # what comes meanwhile waits, blocked, for those (serve_signals).
        with blocked(WORKER_SIGNALS):
            pid: int = super().spawn_worker()
        return pid

    def manage_workers(self) -> None:
        super().manage_workers()
        from ondas.ops import metrics

        metrics.process_sample()
        if self._retiring:
            self._retire_old_workers()
        if self._check is not None:
            self._poll_check()

    def _start_check(self) -> None:
        self.log.info("Hang up: checking that the new code loads")
        self._hup_again = False
        try:
            self._check = CodeCheck(cwd=self.START_CTX["cwd"])
        except OSError as exc:
            self.log.error("Reload refused, the code check did not start: %s", exc)

    def _end_check(self) -> None:
        check = getattr(self, "_check", None)
        if check is not None:
            self._check = None
            check.kill()

    def _poll_check(self) -> None:
        assert self._check is not None
        result = self._check.poll()
        if result is None:
            return
        self._check = None
        if self._hup_again:
            self._start_check()
        elif not result.passed:
            self.log.error(
                "Reload refused, the old code keeps serving:\n%s", result.detail
            )
        else:
            self._reexec()

    def _reexec(self) -> None:
        # Blocked from here on: what comes now stays pending in the kernel,
        # across exec(), until the new image unblocks it.
        signal.pthread_sigmask(signal.SIG_BLOCK, ARBITER_SIGNALS)
        pending = self._take_queued()
        if any(sig in STOP_SIGNALS for sig in pending):
            # A stop came in the meantime: stop, rather than reload first.
            self._requeue(pending)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, ARBITER_SIGNALS)
            return
        retiring = [*self.WORKERS, *self._alive(self._retiring)]
        self.log.info(
            "Re-executing with the new code; old workers: %s; signals carried: %s",
            retiring,
            pending,
        )
        reexec_in_place(
            start_ctx=self.START_CTX,
            listeners=self.LISTENERS,
            arbiter_pid=self.pid,
            retiring=retiring,
            pending=pending,
        )

    def _take_queued(self) -> list[int]:
        taken: list[int] = []
        while True:
            try:
                sig = self.SIG_QUEUE.get_nowait()
            except queue.Empty:
                return taken
            if sig != self.WAKEUP_REQUEST:
                taken.append(sig)

    def _requeue(self, signals: list[int]) -> None:
        for sig in signals:
            self.SIG_QUEUE.put_nowait(sig)

    def _retire_old_workers(self) -> None:
        """Stop the old image's workers once every new worker has checked in."""
        from ondas.ops import metrics

        if not self._retire_deadline:
            now = time.monotonic()
            ready = len(self.WORKERS) >= self.num_workers
            for pid, worker in self.WORKERS.items():
                # A worker checks in (touches its heartbeat file) from its
                # serving loop; one that changed since we first looked serves.
                seen = self._first_seen.setdefault(pid, worker.tmp.last_update())
                ready = ready and worker.tmp.last_update() != seen
            if not ready:
                return
            for pid in self._retiring:
                self._signal(pid, signal.SIGTERM)
            self._retire_deadline = now + self.cfg.graceful_timeout
        alive = self._alive(self._retiring)
        for pid in set(self._retiring) - set(alive):
            metrics.process_dead(pid)
        self._retiring = alive
        if alive and time.monotonic() > self._retire_deadline:
            for pid in alive:
                self._signal(pid, signal.SIGKILL)

    @staticmethod
    def _alive(pids: list[int]) -> list[int]:
        alive = []
        for pid in pids:
            try:
                # Our children: reaped by the arbiter's waitpid(-1) loop.
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            alive.append(pid)
        return alive

    @staticmethod
    def _signal(pid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


class OndasServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn with Ondas's options, the app preloaded by ``load``."""

    def __init__(self, options: dict[str, Any], *, head_limits: HeadLimits) -> None:
        self.options = options
        # Read by the workers (OndasThreadWorker), through their ``app``.
        self.head_limits = head_limits
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def run(self) -> None:
        try:
            OndasArbiter(self).run()
        except RuntimeError as exc:
            print(f"\nError: {exc}\n", file=sys.stderr)
            sys.exit(1)

    def load(self) -> Any:
        from django.db import connections
        from django.urls import get_resolver

        from ondas.wsgi import application

        # Import every URLconf (and so every view) now, in the arbiter: the
        # workers then share those pages instead of each importing them on
        # its first request.
        get_resolver().url_patterns  # noqa: B018 - loading is the point
        # A database connection must never cross fork() (SQLite says so
        # outright); if an import ever opened one, drop it here. A psycopg
        # pool (PostgreSQL) holds connections and threads of its own: close
        # it too, and each worker opens its own on its first query.
        connections.close_all()
        for conn in connections.all(initialized_only=True):
            if conn.vendor == "postgresql":
                conn.close_pool()  # type: ignore[attr-defined]
        return application
