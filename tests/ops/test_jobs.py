"""The schedule of periodic jobs and the reaper of abandoned tasks (ops.jobs,
ops.lease), on the test database with the real database task backend."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from ondas.core import clock
from ondas.ops.cli import main
from ondas.ops.jobs import JOBS, JOBS_BY_NAME, jobs_tick
from ondas.ops.lease import MAX_ATTEMPTS, RETRY_SAFE, tasks_reap, worker_beat
from ondas.ops.models import ScheduledJob, WorkerBeat

CLUSTER_JOBS = sorted(job.name for job in JOBS if not job.per_node)
BILLING = "ondas.billing.services.renewals.billing_run_task"
EMAIL = "ondas.accounts.reset.password_reset_email_task"


@pytest.fixture
def queue(settings: Settings) -> None:
    """Tasks go to the database queue, as under `ondas worker`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    settings.ONDAS_NODE_NAME = "node-a"


def _queued(path: str) -> int:
    return DBTaskResult.objects.filter(task_path=path).count()


@pytest.mark.django_db
def test_first_look_queues_every_cluster_job_once_and_moves_it_on(
    queue: None,
) -> None:
    now = clock.now()
    report = jobs_tick(worker_id="w1", now=now)
    assert sorted(report.queued) == CLUSTER_JOBS
    assert report.ran_here == ["serve-logs-ingest"]
    assert DBTaskResult.objects.count() == len(CLUSTER_JOBS)
    billing = ScheduledJob.objects.get(name="billing-run")
    assert billing.node == ""
    assert billing.next_due_at == now + JOBS_BY_NAME["billing-run"].every
    assert billing.last_run_by == "w1"
    ingest = ScheduledJob.objects.get(name="serve-logs-ingest")
    assert ingest.node == "node-a"

    again = jobs_tick(worker_id="w2", now=now + timedelta(seconds=30))
    assert again.queued == [] and again.ran_here == []
    assert DBTaskResult.objects.count() == len(CLUSTER_JOBS)


@pytest.mark.django_db
def test_a_job_whose_last_task_still_waits_is_not_queued_again(queue: None) -> None:
    now = clock.now()
    jobs_tick(worker_id="w1", now=now)
    later = now + timedelta(minutes=16)
    assert "billing-run" not in jobs_tick(worker_id="w1", now=later).queued
    assert _queued(BILLING) == 1
    # Its time moved on all the same.
    assert ScheduledJob.objects.get(name="billing-run").next_due_at > later

    DBTaskResult.objects.filter(task_path=BILLING).update(status="SUCCESSFUL")
    assert (
        "billing-run"
        in jobs_tick(worker_id="w1", now=later + timedelta(minutes=16)).queued
    )
    assert _queued(BILLING) == 2


@pytest.mark.django_db
def test_a_job_turned_off_by_setting_is_not_queued(
    queue: None, settings: Settings
) -> None:
    settings.ONDAS_JOBS_OFF = ["billing-run", "serve-logs-ingest"]
    report = jobs_tick(worker_id="w1")
    assert "billing-run" not in report.queued
    assert report.ran_here == []
    assert _queued(BILLING) == 0


@pytest.mark.django_db
def test_an_unknown_job_name_in_the_setting_is_refused(
    queue: None, settings: Settings
) -> None:
    settings.ONDAS_JOBS_OFF = ["billing-runs"]
    with pytest.raises(
        ImproperlyConfigured, match="ONDAS_JOBS_OFF names no job: billing-runs"
    ):
        jobs_tick(worker_id="w1")
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db
def test_a_per_node_job_runs_once_on_each_node(queue: None, settings: Settings) -> None:
    now = clock.now()
    assert jobs_tick(worker_id="a1", now=now).ran_here == ["serve-logs-ingest"]
    assert jobs_tick(worker_id="a2", now=now).ran_here == []
    settings.ONDAS_NODE_NAME = "node-b"
    assert jobs_tick(worker_id="b1", now=now).ran_here == ["serve-logs-ingest"]
    nodes = ScheduledJob.objects.filter(name="serve-logs-ingest")
    assert sorted(nodes.values_list("node", flat=True)) == ["node-a", "node-b"]
    # It never goes through the queue, where another node's worker could take it.
    assert not DBTaskResult.objects.filter(task_path__contains="serve_logs").exists()


def test_every_retry_safe_task_is_a_task() -> None:
    """A renamed or removed task fails here instead of never being retried."""
    for path in RETRY_SAFE:
        assert isinstance(import_string(path), Task), path


def _running(
    path: str, *, worker: str, started_ago: timedelta, attempts: int = 1
) -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path=path,
        backend_name="default",
        run_after=clock.now(),
        status="RUNNING",
        started_at=clock.now() - started_ago,
        worker_ids=[f"earlier-{n}" for n in range(attempts - 1)] + [worker],
    )


@pytest.mark.django_db
def test_reap_requeues_an_idempotent_task_whose_worker_stopped_beating(
    settings: Settings,
) -> None:
    settings.ONDAS_WORKER_LEASE_SECONDS = 60
    now = clock.now()
    worker_beat(worker_id="dead", now=now - timedelta(minutes=5))
    worker_beat(worker_id="alive", now=now - timedelta(seconds=5))
    dead = _running(BILLING, worker="dead", started_ago=timedelta(minutes=6))
    alive = _running(BILLING, worker="alive", started_ago=timedelta(minutes=6))
    never = _running(BILLING, worker="never-beat", started_ago=timedelta(minutes=6))
    young = _running(BILLING, worker="gone", started_ago=timedelta(seconds=10))

    report = tasks_reap(now=now)
    assert (report.requeued, report.failed) == (2, 0)
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[dead.pk] == "READY"
    assert statuses[never.pk] == "READY"
    assert statuses[alive.pk] == "RUNNING"
    assert statuses[young.pk] == "RUNNING"
    assert DBTaskResult.objects.get(pk=dead.pk).started_at is None
    # Reaping again finds nothing more to do.
    assert tasks_reap(now=now).requeued == 0


@pytest.mark.django_db
def test_reap_fails_a_task_that_may_not_run_twice_and_says_why() -> None:
    now = clock.now()
    email = _running(EMAIL, worker="dead", started_ago=timedelta(hours=1))
    tired = _running(
        BILLING, worker="dead", started_ago=timedelta(hours=1), attempts=MAX_ATTEMPTS
    )
    report = tasks_reap(now=now)
    assert (report.requeued, report.failed) == (0, 2)
    email.refresh_from_db()
    assert email.status == "FAILED"
    assert email.exception_class_path == "ondas.ops.lease.WorkerLost"
    assert "worker dead stopped beating" in email.traceback
    assert "may not run twice" in email.traceback
    tired.refresh_from_db()
    assert tired.status == "FAILED"
    assert f"after {MAX_ATTEMPTS} attempts" in tired.traceback


@pytest.mark.django_db
def test_ondas_jobs_shows_the_schedule_and_the_workers(
    queue: None, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.ONDAS_JOBS_OFF = ["feeds-refresh"]
    jobs_tick(worker_id="w1")
    worker_beat(worker_id="w1", now=clock.now())
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "(cluster)" in lines["billing-run"] and "READY" in lines["billing-run"]
    assert lines["feeds-refresh"].rstrip().endswith("off (ONDAS_JOBS_OFF)")
    assert "node-a" in lines["serve-logs-ingest"]
    assert "worker w1 on node-a" in out and "alive" in out


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_moment_queue_a_job_once(
    queue: None, settings: Settings
) -> None:
    """Two threads, each with its own PostgreSQL connection, look at the
    schedule at the same instant, round after round."""
    settings.ONDAS_JOBS_OFF = [name for name in JOBS_BY_NAME if name != "billing-run"]
    rounds = 15
    barrier = threading.Barrier(2)
    queued: list[str] = []
    errors: list[BaseException] = []

    def look(worker_id: str) -> None:
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)
                queued.extend(jobs_tick(worker_id=worker_id).queued)
                barrier.wait(timeout=30)
                if worker_id == "one":
                    # Due again, and its last task done: the next round may queue it.
                    ScheduledJob.objects.filter(name="billing-run").update(
                        next_due_at=clock.now() - timedelta(seconds=1)
                    )
                    DBTaskResult.objects.update(status="SUCCESSFUL")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=look, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert queued == ["billing-run"] * rounds
    assert _queued(BILLING) == rounds
    assert WorkerBeat.objects.count() == 0


@pytest.mark.django_db
def test_the_admin_shows_the_schedule_and_the_workers(
    queue: None, admin_client: Any
) -> None:
    jobs_tick(worker_id="w1")
    worker_beat(worker_id="w1", now=clock.now())
    jobs_page = admin_client.get("/admin/ops/scheduledjob/")
    assert jobs_page.status_code == 200
    assert "billing-run" in jobs_page.content.decode()
    beats_page = admin_client.get("/admin/ops/workerbeat/")
    assert beats_page.status_code == 200
    assert "w1" in beats_page.content.decode()
    assert admin_client.get("/admin/ops/scheduledjob/add/").status_code == 403
