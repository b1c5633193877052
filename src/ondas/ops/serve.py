"""`ondas serve`: Gunicorn with gthread workers, the app preloaded, memory frozen.

Preloading imports Django and the whole app once in the arbiter; ``gc.freeze()``
just before each fork moves those objects out of the collector's reach, so the
workers' garbage collections do not touch (and copy) the shared pages.

Signals (see ``OndasArbiter``): SIGTERM drains (``/readyz`` 503 first, then
what is in flight finishes); SIGHUP loads the code on disk with no request
dropped. Each run has a runtime directory for the drain flag and the
Prometheus files of every process (``ondas.ops.drain``, ``ondas.ops.metrics``),
removed when the arbiter exits.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.gthread import ThreadWorker

# Set by a SIGHUP re-exec for the new image: the old image's workers, to be
# stopped gracefully once the new workers serve.
RETIRING_ENV = "ONDAS_SERVE_RETIRING_PIDS"
# Held back across a re-exec until the new image has its handlers: a SIGHUP
# or SIGTERM arriving meanwhile is delivered then instead of killing it.
HELD_SIGNALS = frozenset(
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
# Checked in a child process before a SIGHUP re-exec: the new code must load.
CODE_CHECK = (
    "import django; django.setup(); "
    "from django.urls import get_resolver; import ondas.wsgi; "
    "get_resolver().url_patterns"
)


def _pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


def _post_fork(server: Any, worker: Any) -> None:
    from ondas.ops import metrics

    metrics.set_process_role("worker")


def _child_exit(server: Any, worker: Any) -> None:
    from ondas.ops import metrics

    metrics.process_dead(worker.pid)


def _post_request(worker: Any, req: Any, environ: dict[str, Any], resp: Any) -> None:
    """Count the audio bytes a response wrote, sendfile(2) included."""
    from ondas.ops import metrics
    from ondas.ops.middleware import AUDIO_STREAM_KEY

    if resp is None or not environ.get(AUDIO_STREAM_KEY):
        return
    sent = resp.sent
    # sendfile does not count into ``sent``; a response that raised (client
    # gone) is counted by what was copied, a finished one by its length.
    if not sent and sys.exc_info()[0] is None and resp.response_length:
        sent = resp.response_length
    metrics.audio_bytes_sent(sent)


class OndasThreadWorker(ThreadWorker):  # type: ignore[misc]
    """Gunicorn's gthread worker, closing its wake-up pipe only after its threads.

    A thread that finishes a request writes a ``\\0`` to the worker's wake-up
    pipe. At shutdown Gunicorn 27 closes that pipe while threads may still be
    serving; a thread that opens a file meanwhile (SQLite opens the database
    on every request) can be handed the pipe's old descriptor number, and the
    next ``\\0`` lands at offset 0 of that file. A SIGTERM under load zeroed
    the first 16 bytes of the SQLite database this way ("file is not a
    database"). Waiting for the threads first closes the window; the arbiter
    still kills a worker that outlives ``graceful_timeout``.
    """

    def run(self) -> None:
        close_pipe = self.method_queue.close

        def close_pipe_after_threads() -> None:
            self.tpool.shutdown(wait=True)
            close_pipe()

        self.method_queue.close = close_pipe_after_threads
        super().run()

    def notify(self) -> None:
        super().notify()
        # The main loop calls this at least once a second, busy or idle.
        from ondas.ops import metrics

        metrics.process_sample()


class OndasArbiter(Arbiter):  # type: ignore[misc]
    """Gunicorn's arbiter, draining visibly on SIGTERM and reloading code on SIGHUP.

    SIGTERM: the drain marker goes up (``/readyz`` answers 503 in every
    worker) before Gunicorn stops accepting and tells the workers to finish
    what they are serving.

    SIGHUP: with the app preloaded, Gunicorn's own reload would fork new
    workers from the *old* code. Instead, once a child process has loaded the
    new code successfully, the arbiter re-executes itself in place: same pid
    (systemd keeps tracking it), the listening sockets handed over as
    ``LISTEN_FDS``, the old workers left serving. The new image preloads the
    new code, forks its workers and only then stops the old ones gracefully,
    so there is always someone accepting. If the new code does not load, the
    reload is refused and the old code keeps serving.
    """

    def start(self) -> None:
        super().start()  # installs the signal handlers
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)
        from ondas.ops import metrics

        metrics.set_process_role("arbiter")
        self._retiring = [
            int(p) for p in os.environ.pop(RETIRING_ENV, "").split(",") if p
        ]
        self._retire_deadline = 0.0
        self._first_seen: dict[int, float] = {}

    def handle_term(self) -> None:
        from ondas.ops.drain import drain_begin

        drain_begin()
        # Workers of the code before a reload still finishing: they drain too.
        for pid in self._alive(self._retiring):
            self._signal(pid, signal.SIGTERM)
        super().handle_term()

    def handle_int(self) -> None:
        from ondas.ops.drain import drain_begin

        drain_begin()
        super().handle_int()

    def handle_hup(self) -> None:
        self.log.info("Hang up: checking that the new code loads")
        try:
            subprocess.run(  # noqa: S603 - our own interpreter, fixed code
                [sys.executable, "-c", CODE_CHECK],
                check=True,
                timeout=120,
                capture_output=True,
                cwd=self.START_CTX["cwd"],
            )
        except (subprocess.SubprocessError, OSError) as exc:
            stderr = getattr(exc, "stderr", b"") or b""
            self.log.error(
                "Reload refused, the old code keeps serving: %s\n%s",
                exc,
                stderr.decode(errors="replace")[-2000:],
            )
            return
        self._reexec_in_place()

    def _reexec_in_place(self) -> None:
        retiring = [*self.WORKERS, *self._alive(self._retiring)]
        environ = os.environ.copy()
        environ[RETIRING_ENV] = ",".join(str(pid) for pid in retiring)
        environ["LISTEN_PID"] = str(self.pid)
        environ["LISTEN_FDS"] = str(len(self.LISTENERS))
        # The protocol numbers inherited sockets from 3 on. Whatever used
        # those numbers here is about to be closed by exec() anyway.
        fds = [listener.fileno() for listener in self.LISTENERS]
        moved = [os.dup(fd) for fd in fds]
        for number, fd in enumerate(moved, start=3):
            os.dup2(fd, number, inheritable=True)
        self.log.info("Re-executing with the new code; old workers: %s", retiring)
        os.chdir(self.START_CTX["cwd"])
        signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
        try:
            os.execve(self.START_CTX[0], self.START_CTX["args"], environ)  # noqa: S606
        except OSError:
            # Descriptors 3… may now be the listeners' copies: there is no
            # clean way back. Gunicorn's main loop stops the server.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)
            raise

    def manage_workers(self) -> None:
        super().manage_workers()
        from ondas.ops import metrics

        metrics.process_sample()
        if self._retiring:
            self._retire_old_workers()

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
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class OndasServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
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
        # outright); if an import ever opened one, drop it here.
        connections.close_all()
        return application


def serve(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    access_log: bool,
    graceful_timeout: int = 30,
) -> None:
    """Run the server in the foreground until it is told to stop."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    from ondas.ops.drain import RUNTIME_DIR_ENV

    # Not imported from ondas.ops.metrics: importing prometheus-client before
    # the variable is set would fix it in single-process mode.
    multiproc_env = "PROMETHEUS_MULTIPROC_DIR"

    # One runtime directory per server (drain marker, metrics files), made
    # before the app is imported: prometheus-client picks its storage then.
    # A SIGHUP re-exec keeps the one it has.
    inherited = RETIRING_ENV in os.environ and os.environ.get(RUNTIME_DIR_ENV)
    runtime = inherited or tempfile.mkdtemp(prefix="ondas-serve-")
    os.makedirs(os.path.join(runtime, "metrics"), exist_ok=True)
    os.environ[RUNTIME_DIR_ENV] = runtime
    os.environ[multiproc_env] = os.path.join(runtime, "metrics")
    options: dict[str, Any] = {
        "bind": [f"{host}:{port}"],
        "workers": workers,
        "worker_class": OndasThreadWorker,
        "threads": threads,
        "preload_app": True,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork,
        "child_exit": _child_exit,
        "post_request": _post_request,
        # No "sendfile" key: Gunicorn's setting is the --no-sendfile switch, and
        # *any* value set there (True included) turns sendfile off. Left unset,
        # sendfile is on unless the operator exports SENDFILE=0.
        "keepalive": 5,
        "graceful_timeout": graceful_timeout,
        "timeout": 60,
        "control_socket_disable": True,
        "proc_name": "ondas",
        "accesslog": "-" if access_log else None,
        # The request id Ondas echoes, to follow a request from nginx's log on.
        "access_log_format": (
            '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
            "%(L)ss %({x-request-id}o)s"
        ),
        "errorlog": "-",
    }
    arbiter_pid = os.getpid()
    try:
        OndasServer(options).run()
    finally:
        # A worker leaves through here too (its SystemExit unwinds the stack
        # it inherited from the fork): only the arbiter removes the directory.
        # A SIGHUP re-exec never gets here, and keeps it.
        if os.getpid() == arbiter_pid:
            shutil.rmtree(runtime, ignore_errors=True)
