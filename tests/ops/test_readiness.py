"""/readyz, `ondas doctor` and /metrics notice a database that takes no write
and a data directory running out of space."""

from __future__ import annotations

import shutil
from collections import namedtuple
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.ops import drain, health
from ondas.ops.doctor import check_storage
from ondas.ops.models import Heartbeat
from tests.accounts.factories import user_make
from tests.support.feeds import small_show_make
from tests.web.test_storage_faults import fault_count, sqlite_failing

MIB = 1 << 20
_Usage = namedtuple("_Usage", "total used free")


@pytest.fixture(autouse=True)
def not_draining(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(drain.RUNTIME_DIR_ENV, raising=False)
    drain.drain_reset()
    yield
    drain.drain_reset()


@pytest.fixture
def free_mib(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The free space the data directory's file system reports, in MiB."""
    free = [10_000]
    monkeypatch.setattr(
        health.shutil,
        "disk_usage",
        lambda path: _Usage(20_000 * MIB, 0, free[0] * MIB),
    )
    yield free


def _metric(client: Client, name: str) -> float:
    for line in client.get("/metrics").content.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


@pytest.mark.django_db
def test_readyz_writes_the_heartbeat_row_in_place(client: Client) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}
    first = Heartbeat.objects.get()

    assert client.get("/readyz").status_code == 200
    second = Heartbeat.objects.get()
    assert second.pk == first.pk == health.HEARTBEAT_ID
    assert second.beat_at >= first.beat_at
    assert ":" in second.beat_by  # host:pid


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("attempt to write a readonly database", "database read-only"),
        ("database or disk is full", "database disk full"),
        ("disk I/O error", "database disk I/O error"),
        ("database is locked", "database busy"),
    ],
)
def test_readyz_is_503_when_the_database_takes_no_write(
    client: Client, message: str, reason: str
) -> None:
    """A SELECT 1 still answers; only the write shows it."""
    with sqlite_failing(message):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": reason}
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_when_free_space_is_below_the_minimum(
    client: Client, settings: Settings, free_mib: list[int]
) -> None:
    settings.ONDAS_MIN_FREE_MB = 64
    free_mib[0] = 63

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == (
        f"low disk space: 63 MiB free in {settings.DATA_DIR}, 64 MiB needed"
    )
    free_mib[0] = 64
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_checks_the_real_free_space(client: Client, settings: Settings) -> None:
    free = shutil.disk_usage(settings.DATA_DIR).free
    settings.ONDAS_MIN_FREE_MB = free // MIB + 1024

    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_metrics_show_free_space_and_the_heartbeat(
    client: Client, free_mib: list[int]
) -> None:
    free_mib[0] = 500
    assert _metric(client, "ondas_storage_free_bytes") == 500 * MIB
    assert _metric(client, "ondas_database_heartbeat_ok") == 1.0

    with sqlite_failing("attempt to write a readonly database"):
        assert _metric(client, "ondas_database_heartbeat_ok") == 0.0


@pytest.mark.django_db
def test_metrics_count_storage_fault_answers_by_kind(client: Client) -> None:
    client.raise_request_exception = False
    client.force_login(user_make())
    show = small_show_make()
    name = 'ondas_storage_fault_responses_total{kind="busy"}'
    before = fault_count("busy")

    with sqlite_failing("database is locked"):
        response = client.post(reverse("web:show-follow", args=[show.slug]))

    assert response.status_code == 503
    assert _metric(client, name) == before + 1


@pytest.mark.django_db
def test_doctor_reports_what_readyz_checks(
    settings: Settings, free_mib: list[int]
) -> None:
    settings.ONDAS_MIN_FREE_MB = 64
    ok = check_storage()
    assert ok.ok is True
    assert "10000 MiB free" in ok.detail and "heartbeat write ok" in ok.detail

    with sqlite_failing("attempt to write a readonly database"):
        failed = check_storage()
    assert (failed.ok, failed.mark) == (False, "FAIL")
    assert failed.detail.startswith("database read-only;")

    free_mib[0] = 3
    low = check_storage()
    assert low.ok is False
    assert low.detail.startswith("low disk space: 3 MiB free")
