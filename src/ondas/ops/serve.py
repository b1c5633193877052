"""`ondas serve`: Gunicorn with gthread workers, the app preloaded, memory frozen.

Preloading imports Django and the whole app once in the arbiter; ``gc.freeze()``
just before each fork moves those objects out of the collector's reach, so the
workers' garbage collections do not touch (and copy) the shared pages.

Signals (``ondas.ops.serve_arbiter``, ``ondas.ops.serve_signals``): SIGTERM
drains (``/readyz`` 503 the moment it arrives, then what is in flight
finishes); SIGHUP loads the code on disk with no request dropped
(``ondas.ops.serve_reload``). Slow clients wait in the workers' pollers, not
in their threads (``ondas.ops.serve_head``, ``ondas.ops.serve_worker``).

Each run has a runtime directory for the drain flag and the Prometheus files
of every process (``ondas.ops.serve_runtime``), removed when the arbiter
exits. This module imports nothing heavy before ``hold_early()``: after a
SIGHUP re-exec, signals are caught from the first milliseconds of the new
image on, not only once Gunicorn and the app are loaded.
"""

from __future__ import annotations

import gc
import os
import resource
import shutil
import sys
from pathlib import Path
from typing import Any

from ondas.ops.drain import RUNTIME_DIR_ENV
from ondas.ops.serve_signals import (
    RETIRING_ENV,
    EarlyStop,
    finish_early_stop,
    hold_early,
)

# Descriptors per process: a worker holds every connection waiting for its
# head (up to WORKER_CONNECTIONS) without a thread.
WORKER_CONNECTIONS = 4096
NOFILE_WANTED = 2 * WORKER_CONNECTIONS


def _pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


def _post_fork(server: Any, worker: Any) -> None:
    from ondas.ops import metrics

    metrics.set_process_role("worker")


def _child_exit(server: Any, worker: Any) -> None:
    from ondas.ops import metrics

    metrics.process_dead(worker.pid)


def _post_request(worker: Any, req: Any, environ: dict[str, Any], resp: Any) -> None:
    """Count the audio bytes a response wrote, sendfile(2) included, and log
    the delivery (``analytics.servelog``) now that it has been sent."""
    from ondas.analytics.servelog import delivery_record
    from ondas.ops import metrics
    from ondas.ops.middleware import AUDIO_STREAM_KEY

    if resp is None:
        return
    sent = resp.sent
    # sendfile does not count into ``sent``; a response that raised (client
    # gone) is counted by what was copied, a finished one by its length.
    if not sent and sys.exc_info()[0] is None and resp.response_length:
        sent = resp.response_length
    if environ.get(AUDIO_STREAM_KEY):
        metrics.audio_bytes_sent(sent)
    delivery_record(environ=environ, status=resp.status_code or 0, sent=sent)


def _worker_exit(server: Any, worker: Any) -> None:
    from ondas.analytics.servelog import serve_log

    serve_log().flush()


def serve(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    access_log: bool,
    graceful_timeout: int = 30,
    head_timeout: float = 10.0,
    max_client_connections: int = 64,
) -> None:
    """Run the server in the foreground until it is told to stop."""
    arbiter_pid = os.getpid()
    runtime: Path | None = None
    try:
        hold_early()  # first: a stop from here on is an EarlyStop
        runtime = _runtime_dir()
        _raise_nofile_limit()
        from ondas.ops.serve_arbiter import OndasServer
        from ondas.ops.serve_head import HeadLimits

        limits = HeadLimits(timeout=head_timeout, per_client=max_client_connections)
        OndasServer(
            _options(
                host=host,
                port=port,
                workers=workers,
                threads=threads,
                access_log=access_log,
                graceful_timeout=graceful_timeout,
            ),
            head_limits=limits,
        ).run()
    except EarlyStop as stop:
        finish_early_stop(stop, graceful_timeout=graceful_timeout)
    finally:
        # A worker leaves through here too (its SystemExit unwinds the stack
        # it inherited from the fork): only the arbiter removes the directory.
        # A SIGHUP re-exec never gets here, and keeps it.
        if runtime is None and RETIRING_ENV in os.environ:
            # Stopped by a signal before it took over the inherited one.
            runtime = Path(os.environ.get(RUNTIME_DIR_ENV) or "")
        if os.getpid() == arbiter_pid and runtime and runtime.name:
            shutil.rmtree(runtime, ignore_errors=True)


def _runtime_dir() -> Path:
    """This server's runtime directory, made (or inherited) before the app loads.

    prometheus-client picks its storage when it is imported, so the
    variables are set first.
    """
    from ondas.ops.serve_runtime import runtime_dir_hold, runtime_dir_make

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    inherited = RETIRING_ENV in os.environ and os.environ.get(RUNTIME_DIR_ENV)
    if inherited and os.path.isdir(inherited):
        runtime = Path(inherited)
        runtime_dir_hold(runtime)
    else:
        runtime = runtime_dir_make()
    (runtime / "metrics").mkdir(exist_ok=True)
    os.environ[RUNTIME_DIR_ENV] = str(runtime)
    # Not imported from ondas.ops.metrics: importing prometheus-client before
    # the variable is set would fix it in single-process mode.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(runtime / "metrics")
    return runtime


def _raise_nofile_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = NOFILE_WANTED if hard == resource.RLIM_INFINITY else hard
    wanted = min(wanted, NOFILE_WANTED)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _options(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    access_log: bool,
    graceful_timeout: int,
) -> dict[str, Any]:
    from ondas.ops.serve_worker import OndasThreadWorker

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    connections = WORKER_CONNECTIONS
    if soft != resource.RLIM_INFINITY:
        connections = max(threads + 16, min(connections, soft // 2))
    return {
        "bind": [f"{host}:{port}"],
        "workers": workers,
        "worker_class": OndasThreadWorker,
        "threads": threads,
        "worker_connections": connections,
        "preload_app": True,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork,
        "child_exit": _child_exit,
        "post_request": _post_request,
        "worker_exit": _worker_exit,
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
