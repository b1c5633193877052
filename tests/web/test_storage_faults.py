"""Storage faults answer 503 with Retry-After in the endpoint's format, never 500.

The faults are the SQLite driver's own errors, raised where SQLite raises
them (the cursor's ``execute``) for the statements that write; Django wraps
them as it wraps any. ``tests/ops/test_storage_faults_served.py`` makes the
same faults for real (a read-only file, a held write lock) under `ondas serve`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.core.errors import ErrorCode
from ondas.library.models import Follow
from ondas.ops import metrics
from ondas.playback.models import ListeningProgress
from tests.accounts.factories import user_make
from tests.support.billing import PASSWORD
from tests.support.feeds import small_show_make
from tests.support.wsgi_client import WsgiClient

# A CSRF cookie of the right shape: the check reads the form for the token.
CSRF_SECRET = "a" * 32
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


# What PostgreSQL raises for the faults SQLite names in these words.
_POSTGRES_FAULTS = {
    "database or disk is full": "DiskFull",
    "attempt to write a readonly database": "ReadOnlySqlTransaction",
    "database is locked": "LockNotAvailable",
    "disk I/O error": "IoError",
    "no such table: playback_listeningprogress": "UndefinedTable",
}


@contextmanager
def sqlite_failing(
    message: str,
    *,
    statements: tuple[str, ...] = _WRITES,
    tried: list[str] | None = None,
) -> Iterator[None]:
    """Every statement of these kinds fails with the database's own error, as
    SQLite raises it on a full disk, a read-only file or a held lock (or, on
    PostgreSQL, the error of the same fault, by its SQLSTATE)."""
    if connection.vendor == "postgresql":
        import psycopg.errors
        from django.db.backends.postgresql.base import Cursor

        error = getattr(psycopg.errors, _POSTGRES_FAULTS[message])
        real_pg = Cursor.execute

        def execute_pg(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
            if str(query).lstrip().upper().startswith(statements):
                if tried is not None:
                    tried.append(str(query))
                raise error(message)
            return real_pg(self, query, params, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Cursor, "execute", execute_pg)
            yield
        return
    real = SQLiteCursorWrapper.execute

    def execute(self: SQLiteCursorWrapper, query: str, params: Any = None) -> Any:
        if query.lstrip().upper().startswith(statements):
            if tried is not None:
                tried.append(query)
            raise sqlite3.OperationalError(message)
        return real(self, query, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SQLiteCursorWrapper, "execute", execute)
        yield


def fault_count(kind: str) -> float:
    metrics.metrics_flush()
    return metrics.STORAGE_FAULTS.labels(kind=kind)._value.get()  # type: ignore[attr-defined]


@pytest.fixture
def show(db: None) -> Show:
    return small_show_make()


@pytest.fixture
def listener(db: None) -> User:
    return user_make()


@pytest.fixture
def client(listener: User) -> Client:
    # Django's client re-raises a view's exception by default; a server does not.
    client = Client(raise_request_exception=False)
    client.force_login(listener)
    return client


def _progress_put(client: Client, episode: Episode, seconds: float) -> Any:
    url = reverse("playback:progress", args=["episode", episode.pk])
    body = json.dumps({"position_seconds": seconds, "device": "phone"})
    return client.put(url, body, content_type="application/json")


def _free_episode(show: Show) -> Episode:
    return show.episodes.filter(access=Episode.Access.FREE).order_by("pk")[0]


def test_progress_on_a_full_disk_is_a_json_503_and_the_next_try_succeeds(
    client: Client, show: Show
) -> None:
    episode = _free_episode(show)
    before = fault_count("disk_full")

    with sqlite_failing("database or disk is full"):
        response = _progress_put(client, episode, 12.5)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.headers["Content-Type"] == "application/json"
    assert "no-store" in response.headers["Cache-Control"]
    body = response.json()
    assert body["code"] == ErrorCode.STORAGE_FULL
    assert body["data"] == {"kind": "disk_full", "retry_after": 60}
    assert body["message"].startswith("El servicio no puede guardar")
    assert fault_count("disk_full") == before + 1
    assert not ListeningProgress.objects.exists()

    again = _progress_put(client, episode, 12.5)
    assert again.status_code == 200
    assert ListeningProgress.objects.get().position_seconds == 12.5


def test_progress_on_a_busy_database_is_a_json_503_with_a_short_retry(
    client: Client, show: Show
) -> None:
    with sqlite_failing("database is locked"):
        response = _progress_put(client, _free_episode(show), 3.0)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
    assert response.json()["code"] == ErrorCode.STORAGE_BUSY


def test_follow_on_a_read_only_database_is_the_503_page(
    client: Client, show: Show
) -> None:
    url = reverse("web:show-follow", args=[show.slug])
    with sqlite_failing("attempt to write a readonly database"):
        response = client.post(url)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Temporalmente no disponible" in page
    assert "El servicio no puede guardar nada ahora mismo" in page
    assert not Follow.objects.exists()

    assert client.post(url).status_code == 302
    assert Follow.objects.filter(show=show).exists()


def test_a_sign_in_whose_session_cannot_be_saved_is_a_503(listener: User) -> None:
    client = Client(raise_request_exception=False)
    url = reverse("accounts:sign-in")
    with sqlite_failing("disk I/O error"):
        response = client.post(url, {"email": listener.email, "password": PASSWORD})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Temporalmente no disponible" in response.content.decode()
    assert "sessionid" not in response.cookies


def test_other_database_errors_stay_500(client: Client, show: Show) -> None:
    with sqlite_failing("no such table: playback_listeningprogress"):
        response = _progress_put(client, _free_episode(show), 1.0)

    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def test_the_fault_is_logged_in_one_line_without_a_traceback(
    client: Client, show: Show, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), sqlite_failing("database or disk is full"):
        _progress_put(client, _free_episode(show), 1.0)

    faults = [r for r in caplog.records if "Storage fault" in r.getMessage()]
    assert len(faults) == 1 and faults[0].levelno == logging.ERROR
    assert "disk_full" in faults[0].getMessage()
    assert all(
        r.exc_info is None for r in caplog.records if r.name.startswith("django")
    )


def test_the_connection_that_hit_a_write_fault_is_dropped(
    client: Client, show: Show
) -> None:
    """Inside the test's transaction it is marked to close when the request
    ends (close_old_connections); outside one it is closed at once."""
    with sqlite_failing("attempt to write a readonly database"):
        _progress_put(client, _free_episode(show), 1.0)
    assert connection.close_at == 0.0


def test_a_busy_database_keeps_its_connection(client: Client, show: Show) -> None:
    connection.close_at = None
    with sqlite_failing("database is locked"):
        _progress_put(client, _free_episode(show), 1.0)
    assert connection.close_at is None


# A body over the size limit ------------------------------------------------------


def test_a_form_body_over_the_limit_is_a_413_page_without_a_traceback(
    show: Show, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = WsgiClient("full")  # the CSRF check on: it reads the form
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    url = reverse("web:show-follow", args=[show.slug])

    with caplog.at_level(logging.INFO):
        response = client.post(url, {"next": "x" * 5000})

    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("text/html")
    assert "1000" in response.content.decode()
    assert all(r.exc_info is None for r in caplog.records)
    assert any("over the limit" in r.getMessage() for r in caplog.records)


def test_a_form_body_over_the_limit_to_a_json_endpoint_is_a_json_413(
    show: Show, listener: User, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = WsgiClient("full")
    client.force_login(listener)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET

    response = client.post("/playback/books/1/bookmarks", {"note": "x" * 5000})

    assert response.status_code == 413
    assert response.json()["code"] == ErrorCode.PAYLOAD_TOO_LARGE
    assert response.json()["data"] == {"limit": 1000}


def test_other_bad_requests_stay_400(db: None) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_a_page_when_nothing_can_be_read_is_a_bare_503_page(
    client: Client, show: Show
) -> None:
    """The error page's layout reads the session; without a database the
    same words come without it."""
    every = ("SELECT", *_WRITES)
    with sqlite_failing("disk I/O error", statements=every):
        response = client.get(reverse("web:library"))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.content.decode()
    assert page.startswith('<!doctype html><html lang="es">')
    assert "<h1>Temporalmente no disponible</h1>" in page
    assert "El servicio no puede guardar nada ahora mismo" in page
