"""`ondas serve`: Gunicorn with gthread workers, the app preloaded, memory frozen.

Preloading imports Django and the whole app once in the arbiter; ``gc.freeze()``
just before each fork moves those objects out of the collector's reach, so the
workers' garbage collections do not touch (and copy) the shared pages.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from gunicorn.app.base import BaseApplication


def _pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


class OndasServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from ondas.wsgi import application

        return application


def serve(
    *, host: str, port: int, workers: int, threads: int, access_log: bool
) -> None:
    """Run the server in the foreground until it is told to stop."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    options: dict[str, Any] = {
        "bind": [f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "pre_fork": _pre_fork,
        "sendfile": True,
        "keepalive": 5,
        "graceful_timeout": 30,
        "timeout": 60,
        "control_socket_disable": True,
        "proc_name": "ondas",
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
    }
    OndasServer(options).run()
