"""A task for the worker tests: it leaves a line per start and per finish in a
directory, so a test sees how often each task ran and in which process."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task

PATH = "tests.support.job_tasks.mark_task"


def _note(path: Path, n: int) -> None:
    with path.open("a", encoding="utf-8") as stream:
        stream.write(f"{n} {os.getpid()}\n")


@task()
def mark_task(*, directory: str, n: int, first_sleep: float = 0.0) -> int:
    """Note a start, sleep ``first_sleep`` s on a task's first attempt only,
    then note a finish."""
    where = Path(directory)
    first = (
        not any(
            line.split()[0] == str(n)
            for line in (where / "started").read_text().splitlines()
        )
        if (where / "started").exists()
        else True
    )
    _note(where / "started", n)
    if first:
        time.sleep(first_sleep)
    _note(where / "done", n)
    return n


def lines(path: Path) -> list[tuple[int, int]]:
    """The (task number, pid) lines of a ``started`` or ``done`` file."""
    if not path.exists():
        return []
    return [
        (int(n), int(pid))
        for n, pid in (line.split() for line in path.read_text().splitlines())
    ]
