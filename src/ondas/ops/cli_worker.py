"""`ondas worker` (django-tasks-db's ``db_worker``, its options) and Django's setup
for every `ondas` command."""

from __future__ import annotations

import argparse
import math
import os
import sys


def _setup_django() -> None:
    """Settings, then apps: what every `ondas` command that touches data runs first."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    import django

    django.setup()


# `ondas worker`'s options, each passed to django-tasks-db's ``db_worker`` under
# the same name; one that is not given keeps db_worker's own default.
_WORKER_VALUE_OPTIONS = (
    "queue_name",
    "exclude_queues",
    "interval",
    "max_tasks",
    "worker_id",
    "verbosity",
)


def _worker_argv(args: argparse.Namespace) -> list[str]:
    """db_worker's command line for the options given to `ondas worker`."""
    argv: list[str] = []
    for dest in _WORKER_VALUE_OPTIONS:
        value = getattr(args, dest)
        if value is not None:
            argv += [f"--{dest.replace('_', '-')}", str(value)]
    if args.batch:
        argv.append("--batch")
    if not args.startup_delay:
        argv.append("--no-startup-delay")
    if args.reload is not None:
        argv.append("--reload" if args.reload else "--no-reload")
    return argv


def _cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        print(
            "ondas worker: the task backend runs tasks inline "
            "(ONDAS_TASKS_BACKEND=immediate), so there is no queue to work; "
            "unset it to queue tasks in the database.",
            file=sys.stderr,
        )
        return 2
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

    from ondas.ops.jobs import jobs_off
    from ondas.ops.worker_minder import minder_start, schedule_round, worker_id_make

    try:
        jobs_off()
    except ImproperlyConfigured as exc:
        print(f"ondas worker: {exc}", file=sys.stderr)
        return 2
    # The id db_worker records on each task it claims is the one this worker
    # beats under (ops.lease), so a dead worker's tasks can be told apart.
    args.worker_id = args.worker_id or worker_id_make()
    reload = settings.DEBUG if args.reload is None else args.reload
    # With --reload the tasks run in a child process; that one beats.
    if not reload or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
        minder_start(worker_id=args.worker_id, schedule=not args.batch)
        if args.batch:
            # What is due now is queued first, so that this batch runs it.
            schedule_round(worker_id=args.worker_id)
    execute_from_command_line(["ondas worker", "db_worker", *_worker_argv(args)])
    return 0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: must be 0 or more seconds")
    return seconds


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: must be 1 or more")
    return number


def _worker_id(value: str) -> str:
    if not 0 < len(value) <= 64:
        raise argparse.ArgumentTypeError("a worker id has 1 to 64 characters")
    return value


def _worker_arguments(worker: argparse.ArgumentParser) -> None:
    """django-tasks-db's ``db_worker`` options (tests/ops keeps them in step)."""
    worker.add_argument(
        "--batch",
        action="store_true",
        help="run every task waiting now, then exit (0) instead of waiting for more",
    )
    worker.add_argument(
        "--interval",
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait before looking again when the queue is empty "
        "(default: 1)",
    )
    worker.add_argument(
        "--queue-name",
        metavar="NAMES",
        help="queues to run, separated by commas; '*' for all (default: default)",
    )
    worker.add_argument(
        "--exclude-queues",
        metavar="NAMES",
        help="with --queue-name '*': queues to leave alone, separated by commas",
    )
    worker.add_argument(
        "--max-tasks",
        type=_positive_int,
        metavar="N",
        help="exit (0) after running this many tasks, e.g. to recycle the process",
    )
    worker.add_argument(
        "--worker-id",
        type=_worker_id,
        metavar="ID",
        help="this worker's name in task results, unique among workers "
        "(default: random)",
    )
    worker.add_argument(
        "--no-startup-delay",
        action="store_false",
        dest="startup_delay",
        help="start at once, without the random delay of up to 1 s that keeps "
        "many workers from starting together",
    )
    worker.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        help="restart when the code changes (default: on only with ONDAS_DEBUG)",
    )
    worker.add_argument(
        "-v",
        "--verbosity",
        type=int,
        choices=[0, 1, 2, 3],
        help="0 quiet, 1 a line per task (default), 2 and 3 debug",
    )
