"""PostgreSQL connection settings: Django's psycopg pool, or pgbouncer in front.

``settings.py`` calls :func:`postgres_settings` with what the environment says;
it lives here so that tests can call it with other answers.

- By default each process keeps a psycopg pool (Django 5.2's
  ``OPTIONS["pool"]``) sized from the Gunicorn threads of ``ondas serve``
  (``ONDAS_THREADS``): at most one connection per request thread, plus a little
  room for the threads of the worker that are not request threads.
- ``ONDAS_DB_POOL_MAX`` sets the largest size instead.
- ``ONDAS_DB_POOL=off`` keeps one persistent connection per thread
  (``CONN_MAX_AGE``), as before.
- ``ONDAS_DB_PGBOUNCER=on`` (pgbouncer in transaction mode in front): no pool
  of our own (pgbouncer is the pool), no server-side cursors and no
  server-side prepared statements, since consecutive transactions of one
  Django connection may run on different server connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# Connections beyond the request threads: the worker's own threads that may
# touch the database (the serve log's flusher, a task run inline).
POOL_HEADROOM = 2
# How long a request waits for a free connection before it is answered 503
# with Retry-After (core.faults): all of them busy, or the server down (the
# pool waits for it rather than failing at once, so keep this short).
POOL_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class PoolSize:
    min_size: int
    max_size: int


def pool_size(*, threads: int, pool_max: int | None = None) -> PoolSize:
    """Size a process's pool from its request threads (or the operator's cap).

    A quarter of the threads stay open when idle, so a quiet node does not
    hold many server connections and a busy one opens the rest on demand.
    """
    if threads < 1:
        raise ImproperlyConfigured(f"ONDAS_THREADS must be 1 or more, not {threads}")
    largest = threads + POOL_HEADROOM if pool_max is None else pool_max
    if largest < 1:
        raise ImproperlyConfigured(
            f"ONDAS_DB_POOL_MAX must be 1 or more, not {largest}"
        )
    return PoolSize(min_size=min(largest, max(1, threads // 4)), max_size=largest)


def postgres_settings(
    database: dict[str, Any],
    *,
    threads: int,
    pool: bool,
    pool_max: int | None,
    pgbouncer: bool,
) -> dict[str, Any]:
    """Return the PostgreSQL ``DATABASES`` entry with pooling decided."""
    options: dict[str, Any] = dict(database.get("OPTIONS") or {})
    result = dict(database)
    if pgbouncer:
        # Django already turns psycopg's prepared statements off by default;
        # saying so here keeps an OPTIONS override from turning them back on.
        options["prepare_threshold"] = None
        result["DISABLE_SERVER_SIDE_CURSORS"] = True
    elif pool:
        size = pool_size(threads=threads, pool_max=pool_max)
        options["pool"] = {
            "min_size": size.min_size,
            "max_size": size.max_size,
            "timeout": POOL_TIMEOUT_SECONDS,
        }
        # Django refuses persistent connections with a pool: the pool keeps
        # them. CONN_HEALTH_CHECKS stays on, so the pool checks a connection
        # before lending it (a server restart costs no failed request).
        result["CONN_MAX_AGE"] = 0
    result["OPTIONS"] = options
    return result
