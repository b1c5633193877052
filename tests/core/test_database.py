import os
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from psycopg_pool import ConnectionPool

from ondas import wsgi
from ondas.core.database import pool_size, postgres_settings


@pytest.mark.django_db
def test_suite_runs_on_the_database_it_was_given() -> None:
    """`make test` runs twice; make sure the PostgreSQL run really is on PostgreSQL."""
    expected = (
        "postgresql"
        if os.environ.get("DATABASE_URL", "").startswith("postgres")
        else "sqlite"
    )
    assert connection.vendor == expected


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode() -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        row = cursor.fetchone()
    # In-memory test databases cannot use WAL; the setting is what matters.
    assert row is not None and row[0] in {"wal", "memory"}
    assert "journal_mode=WAL" in connection.settings_dict["OPTIONS"]["init_command"]


# PostgreSQL pooling: what the settings build from the environment
# (ondas.core.database), then the pool the suite itself runs on.

_URL = {"ENGINE": "django.db.backends.postgresql", "NAME": "ondas", "OPTIONS": {}}


def test_postgres_settings_size_the_pool_from_the_request_threads() -> None:
    built = postgres_settings(
        {**_URL, "CONN_MAX_AGE": 600},
        threads=8,
        pool=True,
        pool_max=None,
        pgbouncer=False,
    )
    assert built["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 10, "timeout": 5.0}
    # Django refuses a pool beside persistent connections.
    assert built["CONN_MAX_AGE"] == 0
    assert "DISABLE_SERVER_SIDE_CURSORS" not in built


def test_postgres_settings_pool_max_overrides_the_threads() -> None:
    small = postgres_settings(_URL, threads=8, pool=True, pool_max=1, pgbouncer=False)
    large = postgres_settings(_URL, threads=2, pool=True, pool_max=40, pgbouncer=False)
    assert (
        small["OPTIONS"]["pool"]["min_size"],
        small["OPTIONS"]["pool"]["max_size"],
    ) == (1, 1)
    assert (
        large["OPTIONS"]["pool"]["min_size"],
        large["OPTIONS"]["pool"]["max_size"],
    ) == (1, 40)


def test_postgres_settings_pool_off_keeps_persistent_connections() -> None:
    built = postgres_settings(
        {**_URL, "CONN_MAX_AGE": 600},
        threads=8,
        pool=False,
        pool_max=None,
        pgbouncer=False,
    )
    assert "pool" not in built["OPTIONS"]
    assert built["CONN_MAX_AGE"] == 600


def test_postgres_settings_behind_pgbouncer_turn_off_what_transaction_mode_breaks() -> (
    None
):
    built = postgres_settings(
        {**_URL, "CONN_MAX_AGE": 600, "OPTIONS": {"prepare_threshold": 5}},
        threads=8,
        pool=True,
        pool_max=None,
        pgbouncer=True,
    )
    assert "pool" not in built["OPTIONS"]
    assert built["OPTIONS"]["prepare_threshold"] is None
    assert built["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert built["CONN_MAX_AGE"] == 600


@pytest.mark.parametrize(
    ("threads", "pool_max", "message"),
    [
        (0, None, "ONDAS_THREADS must be 1 or more, not 0"),
        (8, 0, "ONDAS_DB_POOL_MAX must be 1 or more, not 0"),
    ],
)
def test_pool_size_refuses_nonsense(
    threads: int, pool_max: int | None, message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        pool_size(threads=threads, pool_max=pool_max)


@pytest.mark.postgresql
def test_the_postgresql_pass_runs_on_the_pool_the_settings_build() -> None:
    pool = settings.DATABASES["default"]["OPTIONS"]["pool"]
    threads = int(os.environ.get("ONDAS_THREADS", "8"))
    assert pool["max_size"] == int(os.environ.get("ONDAS_DB_POOL_MAX") or threads + 2)
    assert isinstance(connection.pool, ConnectionPool)  # type: ignore[attr-defined]
    assert connection.pool.max_size == pool["max_size"]  # type: ignore[attr-defined]


def _request(path: str) -> int:
    """Run one request through the WSGI application as a server would: Django
    takes a connection when the request starts and gives it back when the
    response is closed."""
    environ: dict[str, object] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    statuses: list[int] = []

    def start_response(status: str, headers: object, exc_info: object = None) -> None:
        statuses.append(int(status.split()[0]))

    body = wsgi.django_application(environ, start_response)
    try:
        b"".join(body)
    finally:
        body.close()  # type: ignore[attr-defined]
    return statuses[0]


def _backends(database: str) -> set[int]:
    """The server processes connected to the database, seen from outside."""
    params = connection.get_connection_params()
    params = {
        k: v for k, v in params.items() if k in {"host", "port", "user", "password"}
    }
    with psycopg.connect(dbname=database, **params) as side:
        rows = side.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return {row[0] for row in rows}


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_requests_reuse_the_pools_connections() -> None:
    """Twenty requests in a row open no server connection after the first:
    each one borrows a connection the pool keeps and hands it back."""
    database = connection.settings_dict["NAME"]
    connection.close()
    assert _request("/readyz") == 200
    before = _backends(database)
    opened = connection.pool.get_stats()["connections_num"]  # type: ignore[attr-defined]

    for _ in range(20):
        assert _request("/readyz") == 200
        # Given back at the end of each request, not kept by the thread.
        assert connection.connection is None

    stats = connection.pool.get_stats()  # type: ignore[attr-defined]
    assert stats["connections_num"] == opened
    assert stats["requests_num"] >= 21
    assert _backends(database) == before
    assert 1 <= len(before) <= connection.pool.max_size  # type: ignore[attr-defined]
