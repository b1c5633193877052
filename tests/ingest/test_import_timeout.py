"""Imports whose worker died: past ONDAS_FEED_IMPORT_TIMEOUT_MINUTES they read
as failed, the page stops reloading, and the periodic run writes the failure."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.core import clock
from ondas.ingest.models import FeedImport, FeedSource
from ondas.ingest.selectors import FEED_IMPORT_TIMED_OUT
from ondas.ingest.services import import_requests
from ondas.ingest.services.import_requests import (
    feed_import_request,
    feed_import_run,
    feed_imports_expire,
)
from tests.accounts.factories import user_make
from tests.ingest.factories import fake_items, rss
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

STOPPED = "This import stopped without finishing; try again."
RELOAD = 'http-equiv="refresh"'


@pytest.fixture(autouse=True)
def timeout(settings: Settings) -> None:
    settings.ONDAS_FEED_IMPORT_TIMEOUT_MINUTES = 15


@pytest.fixture
def staff(db: None) -> User:
    return user_make(email="ops@example.com", role=User.Role.STAFF)


@pytest.fixture
def later(settings: Settings) -> Callable[[int], None]:
    """Move the clock the views and services read this many minutes on."""

    def move(minutes: int) -> None:
        settings.ONDAS_CLOCK_SHIFT = timedelta(minutes=minutes)

    return move


def _running(staff: User, *, language: str = "") -> FeedImport:
    """An import its worker claimed (and then, say, died running)."""
    record = feed_import_request(
        url="https://feeds.example.org/x.xml",
        acting_user=staff,
        owner_email="owner@example.com",
        language=language,
    )
    FeedImport.objects.filter(pk=record.pk).update(
        status=FeedImport.Status.RUNNING, started_at=clock.now()
    )
    return record


def _page(user: User, record: FeedImport, language: str = "en") -> str:
    client = Client()
    client.cookies["ondas_language"] = language
    client.force_login(user)
    response = client.get(reverse("web:feed-import-detail", args=[record.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_import_running_past_the_limit_reads_as_failed_and_stops_reloading(
    staff: User, later: Callable[[int], None]
) -> None:
    record = _running(staff)
    later(16)

    html = _page(staff, record)

    assert STOPPED in html
    assert "The feed was not imported." in html
    assert FEED_IMPORT_TIMED_OUT in html
    assert RELOAD not in html
    assert "This page refreshes by itself." not in html
    record.refresh_from_db()
    assert record.status == FeedImport.Status.RUNNING  # reading wrote nothing


def test_import_running_within_the_limit_still_reloads(
    staff: User, later: Callable[[int], None]
) -> None:
    record = _running(staff)
    later(14)

    html = _page(staff, record)

    assert '<meta http-equiv="refresh" content="3">' in html
    assert "Importing… This page refreshes by itself." in html
    assert STOPPED not in html


def test_import_never_started_past_the_limit_reads_as_failed(
    staff: User, later: Callable[[int], None]
) -> None:
    record = feed_import_request(
        url="https://feeds.example.org/x.xml", acting_user=staff
    )
    later(16)

    html = _page(staff, record)

    assert STOPPED in html
    assert RELOAD not in html


def test_timed_out_message_is_in_the_language_of_the_page(
    staff: User, later: Callable[[int], None]
) -> None:
    record = _running(staff)
    later(16)

    html = _page(staff, record, language="es")

    assert "Esta importación se detuvo sin terminar; inténtalo de nuevo." in html


def test_import_list_shows_an_overdue_import_as_not_imported(
    staff: User, later: Callable[[int], None]
) -> None:
    _running(staff)
    later(16)
    client = Client()
    client.cookies["ondas_language"] = "en"
    client.force_login(staff)

    html = client.get(reverse("web:feed-import")).content.decode()

    assert '<span class="badge badge--warning">Not imported</span>' in html


def test_refresh_due_command_fails_overdue_imports_in_their_language(
    staff: User, later: Callable[[int], None], capsys: pytest.CaptureFixture[str]
) -> None:
    overdue = _running(staff, language="es")
    later(10)
    fresh = _running(staff)
    later(16)

    call_command("feeds_refresh_due")

    assert "1 import(s) stopped without finishing." in capsys.readouterr().out
    overdue.refresh_from_db()
    assert (overdue.status, overdue.reason, overdue.message, overdue.owner_email) == (
        FeedImport.Status.FAILED,
        FEED_IMPORT_TIMED_OUT,
        "Esta importación se detuvo sin terminar; inténtalo de nuevo.",
        "",
    )
    assert overdue.started_at is not None and overdue.finished_at is not None
    assert overdue.finished_at - overdue.started_at >= timedelta(minutes=16)
    fresh.refresh_from_db()
    assert fresh.status == FeedImport.Status.RUNNING


def test_pending_import_failed_for_lateness_never_runs(
    staff: User, feed_server: FeedServer, later: Callable[[int], None]
) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(1))))
    record = feed_import_request(url=url, acting_user=staff)  # task not run yet
    later(16)
    assert feed_imports_expire(now=clock.now()) == 1

    again = feed_import_run(feed_import_id=record.pk)

    assert again is not None and again.status == FeedImport.Status.FAILED
    assert feed_server.requests == []
    assert FeedSource.objects.exists() is False


def test_import_that_finishes_after_being_failed_records_its_outcome(
    staff: User,
    feed_server: FeedServer,
    later: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The late outcome wins: the page says what really happened."""
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(2))))
    record = feed_import_request(url=url, acting_user=staff)
    real_import = import_requests.feed_source_import

    def slow_import(**kwargs: object) -> FeedSource:
        later(16)  # the periodic run comes by while this import is still going
        assert feed_imports_expire(now=clock.now()) == 1
        assert FeedImport.objects.get(pk=record.pk).status == FeedImport.Status.FAILED
        return real_import(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(import_requests, "feed_source_import", slow_import)

    feed_import_run(feed_import_id=record.pk)

    record.refresh_from_db()
    assert (record.status, record.reason, record.message) == (
        FeedImport.Status.DONE,
        "",
        "",
    )
    assert record.source == FeedSource.objects.get()
    html = _page(staff, record)
    assert "Imported: “Chaos Radio”." in html
    assert STOPPED not in html


def _timeout_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONDAS_")}
    clean.update(ONDAS_DATA_DIR=str(tmp_path), ONDAS_SECRET_KEY="x", **env)
    code = "from ondas import settings as s; print(s.ONDAS_FEED_IMPORT_TIMEOUT_MINUTES)"
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True
    )


def test_import_timeout_comes_from_the_environment(tmp_path: Path) -> None:
    assert _timeout_with(tmp_path).stdout.strip() == "15"
    assert (
        _timeout_with(tmp_path, ONDAS_FEED_IMPORT_TIMEOUT_MINUTES="40").stdout.strip()
        == "40"
    )
    refused = _timeout_with(tmp_path, ONDAS_FEED_IMPORT_TIMEOUT_MINUTES="0")
    assert refused.returncode != 0
    assert "must be 1 or more" in refused.stderr
