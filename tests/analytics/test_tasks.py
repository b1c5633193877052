"""The periodic ingest of `ondas serve`'s files: read, rotate, tidy."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ondas.analytics import tasks
from ondas.analytics.selectors import episode_downloads
from ondas.catalog.models import Episode
from tests.analytics.conftest import line


def _old(path: Path) -> None:
    then = time.time() - 2 * tasks.QUIET_SECONDS
    os.utime(path, (then, then))


def test_serve_logs_are_read_and_a_dead_workers_file_removed(
    episode: Episode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = tmp_path / "serve-999999999.jsonl"
    dead.write_bytes(line(episode, addr="198.51.100.1"))
    _old(dead)
    live = tmp_path / f"serve-{os.getpid()}.jsonl"
    live.write_bytes(line(episode, addr="198.51.100.2"))
    _old(live)
    monkeypatch.setattr(tasks, "ROTATE_BYTES", 1)

    tasks.analytics_serve_logs_ingest(directory=tmp_path)

    assert episode_downloads(episode=episode).downloads == 2
    assert not dead.exists()
    assert not live.exists()  # rotated: the worker opens a new one
    (rotated,) = tmp_path.glob("*.old")
    _old(rotated)
    tasks.analytics_serve_logs_ingest(directory=tmp_path)
    assert not rotated.exists()  # fully read and quiet: gone
    assert episode_downloads(episode=episode).downloads == 2


def test_the_task_counts_the_downloads(
    episode: Episode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "serve-1.jsonl").write_bytes(line(episode))
    monkeypatch.setattr(tasks, "serve_log_directory", lambda data_dir: tmp_path)
    assert tasks.analytics_serve_logs_ingest_task.call() == 1
