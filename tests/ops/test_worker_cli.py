"""`ondas worker`: django-tasks-db's worker with its own options, run for real."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import load_command_class

from ondas.ops.cli import _worker_arguments, build_parser
from tests.support.servers import ONDAS

ENQUEUE = """
from ondas.accounts.reset import password_reset_email_task
for n in range({count}):
    password_reset_email_task.enqueue(email=f"nobody{{n}}@example.com", language="en")
"""
COUNT = """
from django_tasks_db.models import DBTaskResult
rows = DBTaskResult.objects.filter(task_path__endswith="{path}")
print("STATUS=" + ",".join(sorted(r.status for r in rows)))
"""
RESET = "password_reset_email_task"
BILLING = "billing_run_task"
# Django's options for every command, and db_worker's --backend: Ondas has one
# task backend, and `ondas worker` refuses to start when it is not a queue.
NOT_OURS = {
    "--backend",
    "--force-color",
    "--no-color",
    "--pythonpath",
    "--settings",
    "--skip-checks",
    "--traceback",
    "--version",
}


def _option_strings(parser: object) -> set[str]:
    actions = getattr(parser, "_actions", [])
    return {s for action in actions for s in action.option_strings} - {"-h", "--help"}


def test_worker_takes_every_option_of_db_worker() -> None:
    """A django-tasks-db upgrade that adds or renames an option fails here."""
    db_worker = load_command_class("django_tasks_db", "db_worker")
    theirs = _option_strings(db_worker.create_parser("ondas", "db_worker"))
    worker = argparse.ArgumentParser()
    _worker_arguments(worker)
    ours = _option_strings(worker)
    assert ours == theirs - NOT_OURS


def test_worker_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        build_parser().parse_args(["worker", "--help"])
    assert exc_info.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--batch", "--interval SECONDS", "--queue-name", "--max-tasks N"):
        assert option in shown


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--interval", "-1"], "must be 0 or more seconds"),
        (["--interval", "nan"], "must be 0 or more seconds"),
        (["--interval", "soon"], "is not a number"),
        (["--max-tasks", "0"], "must be 1 or more"),
        (["--worker-id", "x" * 65], "1 to 64 characters"),
    ],
)
def test_worker_refuses_bad_values_before_starting(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc_info:
        build_parser().parse_args(["worker", *argv])
    assert exc_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """An installation in a directory of its own, not migrated yet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONDAS_")}
    env |= {
        "ONDAS_DATA_DIR": str(tmp_path / "data"),
        "ONDAS_SECRET_KEY": "worker-test-not-secret",
        "ONDAS_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    return env


@pytest.fixture
def data_env(bare_env: dict[str, str]) -> dict[str, str]:
    """A migrated, empty installation."""
    migrated = _ondas(bare_env, "manage", "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    return bare_env


def _ondas(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ONDAS, *argv], env=env, timeout=120, capture_output=True, text=True
    )


def _statuses(env: dict[str, str], path: str = RESET) -> list[str]:
    shown = _ondas(env, "manage", "shell", "-c", COUNT.format(path=path))
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.split("STATUS=")[1].strip().split(",")


def test_worker_max_tasks_then_batch_run_the_queue_and_exit_0(
    data_env: dict[str, str],
) -> None:
    queued = _ondas(data_env, "manage", "shell", "-c", ENQUEUE.format(count=3))
    assert queued.returncode == 0, queued.stderr
    assert _statuses(data_env) == ["READY", "READY", "READY"]

    one = _ondas(data_env, "worker", "--max-tasks", "1", "--no-startup-delay")
    assert one.returncode == 0, one.stderr
    assert _statuses(data_env) == ["READY", "READY", "SUCCESSFUL"]

    rest = _ondas(
        data_env, "worker", "--batch", "--interval", "2", "--no-startup-delay"
    )
    assert rest.returncode == 0, rest.stderr
    assert _statuses(data_env) == ["SUCCESSFUL"] * 3
    # The schedule's first look queued the periodic jobs (ops.jobs), nobody
    # had to: the batch ran them too, and queued each once.
    assert _statuses(data_env, BILLING) == ["SUCCESSFUL"]


def test_worker_with_inline_tasks_says_there_is_no_queue(
    bare_env: dict[str, str],
) -> None:
    ran = _ondas(bare_env | {"ONDAS_TASKS_BACKEND": "immediate"}, "worker", "--batch")
    assert ran.returncode == 2
    assert "ONDAS_TASKS_BACKEND=immediate" in ran.stderr
