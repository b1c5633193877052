"""/healthz, /readyz, /metrics, request ids and JSON logs, in one process."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import DatabaseError
from django.test import Client
from prometheus_client import Counter, Gauge, Histogram

from ondas.ops import drain, metrics
from ondas.ops.logging import JsonFormatter, RequestIdFilter, request_id_from


@pytest.fixture
def not_draining(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(drain.RUNTIME_DIR_ENV, raising=False)
    drain.drain_reset()
    yield
    drain.drain_reset()


@pytest.mark.django_db
def test_healthz_answers_without_asking_anything(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.usefixtures("not_draining")
def test_readyz_is_200_then_503_once_draining(client: Client) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}

    drain.drain_begin()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "draining"}


@pytest.mark.usefixtures("not_draining")
def test_drain_marker_in_runtime_dir_is_seen_by_every_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The arbiter's marker file is how its workers learn of the drain."""
    monkeypatch.setenv(drain.RUNTIME_DIR_ENV, str(tmp_path))
    assert drain.is_draining() is False
    (tmp_path / drain.MARKER_NAME).touch()  # as the arbiter does on SIGTERM
    assert drain.is_draining() is True


@pytest.mark.django_db
@pytest.mark.usefixtures("not_draining")
def test_readyz_is_503_when_the_database_does_not_answer(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "database unavailable"}


@pytest.mark.django_db
def test_metrics_counts_requests_by_route_and_status(client: Client) -> None:
    def count(route: str, status: str) -> float:
        value = metrics.REQUESTS.labels(route=route, method="GET", status=status)
        return float(value._value.get())

    before = count("ops:healthz", "200"), count("unmatched", "404")
    client.get("/healthz")
    client.get("/no-such-page/at-all")

    body = client.get("/metrics")

    assert body["Content-Type"].startswith("text/plain")
    assert count("ops:healthz", "200") == before[0] + 1
    assert count("unmatched", "404") == before[1] + 1
    text = body.content.decode()
    assert "ondas_http_request_duration_seconds_bucket" in text
    assert "ondas_process_resident_memory_bytes" in text
    assert 'ondas_process_page_faults{kind="minor",role="main"}' in text


def _batch_metrics() -> tuple[Counter, Gauge, Histogram]:
    return (
        Counter("ondas_test_batched", "A counter.", registry=None),
        Gauge("ondas_test_batched_open", "A gauge.", registry=None),
        Histogram("ondas_test_batched_seconds", "A histogram.", registry=None),
    )


def _histogram_count(histogram: Histogram) -> float:
    [metric] = histogram.collect()
    return next(s.value for s in metric.samples if s.name.endswith("_count"))


def test_batched_writes_reach_the_shared_values_when_flushed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under `ondas serve` a request only adds up; the sums are applied later."""
    monkeypatch.setattr(metrics, "FLUSH_INTERVAL", 3600)
    writes = metrics._Writes(batched=True)
    counter, gauge, histogram = _batch_metrics()

    for _ in range(3):
        writes.inc(counter)
        writes.inc(gauge)
        writes.observe(histogram, 0.002)
    writes.inc(gauge, -1.0)
    assert counter._value.get() == 0

    writes.flush()

    assert counter._value.get() == 3
    assert gauge._value.get() == 2
    assert _histogram_count(histogram) == 3


def test_batched_writes_are_flushed_by_a_thread_of_the_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics, "FLUSH_INTERVAL", 0.02)
    writes = metrics._Writes(batched=True)
    counter, _gauge, _histogram = _batch_metrics()

    writes.inc(counter, 5)
    deadline = time.monotonic() + 5
    while counter._value.get() != 5 and time.monotonic() < deadline:
        time.sleep(0.01)

    assert counter._value.get() == 5


def test_process_sample_reads_memory_and_faults_of_this_process() -> None:
    metrics.process_sample(force=True)
    rss = metrics.RESIDENT.labels(role="main")._value.get()
    minor = metrics.PAGE_FAULTS.labels(role="main", kind="minor")._value.get()
    assert rss > 10 * 1024 * 1024
    assert minor > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123", True),
        ("req:7/9@edge", True),
        ("has space", False),
        ("x" * 129, False),
        ('quote"d', False),
    ],
)
def test_request_id_is_echoed_when_sane_else_replaced(
    client: Client, sent: str, kept: bool
) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    echoed = response["X-Request-ID"]
    assert (echoed == sent) is kept
    if not kept:
        assert len(echoed) == 32 and echoed.isalnum()


@pytest.mark.django_db
def test_request_id_is_made_up_when_absent(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second and len(first) == 32


def test_request_id_from_accepts_only_printable_tokens() -> None:
    assert request_id_from("nginx-abc") == "nginx-abc"
    assert request_id_from("\r\nX: y") != "\r\nX: y"
    assert request_id_from(None) != request_id_from(None)


def test_json_formatter_writes_one_object_with_request_id_and_extras() -> None:
    record = logging.LogRecord(
        "ondas.playback", logging.ERROR, __file__, 1, "Audio %s gone", (7,), None
    )
    record.audio_id = 7
    RequestIdFilter().filter(record)

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "Audio 7 gone"
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "ondas.playback"
    assert entry["request_id"] == "-"
    assert entry["audio_id"] == 7
    assert entry["time"].endswith("+00:00")


@pytest.mark.django_db
def test_logs_during_a_request_carry_its_id(
    client: Client, caplog: pytest.LogCaptureFixture, audio_gone: int
) -> None:
    handler_filter = RequestIdFilter()
    with caplog.at_level(logging.ERROR, logger="ondas.playback.delivery"):
        caplog.handler.addFilter(handler_filter)
        client.get(f"/audio/{audio_gone}", HTTP_X_REQUEST_ID="trace-9")
    records = [r for r in caplog.records if r.name == "ondas.playback.delivery"]
    assert records and records[0].request_id == "trace-9"


@pytest.fixture
def audio_gone(db: None) -> int:
    from ondas.catalog.models import AudioFile

    return AudioFile.objects.create(
        file="audio/gone.mp3", size=1, mime_type="audio/mpeg"
    ).pk
