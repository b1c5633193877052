"""A small catalog written through the services, with the index following it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Episode, Show
from ondas.catalog.services import episode_create, show_create
from ondas.catalog.services.transcripts import episode_transcript_upload

PAST = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

Commits = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]

CUES = (
    "WEBVTT\n\n"
    "00:00:05.000 --> 00:00:09.000\nHola y bienvenidos.\n\n"
    "00:12:00.000 --> 00:12:04.000\nEl planificador del núcleo decide.\n"
)
EXCLUSIVE_CUES = (
    "WEBVTT\n\n00:01:40.000 --> 00:01:44.000\nEl secreto mejor guardado: zanahoria.\n"
)


@dataclass
class Catalog:
    show: Show
    faults: Episode
    exclusive: Episode


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Commits) -> Commits:
    """Run writes so that what waits for their commit (the index) runs."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def catalog(db: None, committed: Commits) -> Iterator[Catalog]:
    with committed():
        show = show_create(
            title="Análisis de sistemas",
            author="Ana Pérez",
            language="es",
            description="<p>Servidores, memoria y el núcleo, sin prisa.</p>",
        )
        faults = episode_create(
            show=show,
            guid="faults",
            title="Fallos de página",
            published_at=PAST,
            duration_seconds=3600,
            description="<p>Cómo el kernel resuelve un fallo de página.</p>",
            chapters=[
                ChapterInput(start_seconds=0, title="Introducción"),
                ChapterInput(start_seconds=2070, title="Copy-on-write en detalle"),
            ],
        )
        episode_transcript_upload(episode=faults, name="faults.vtt", data=CUES.encode())
        exclusive = episode_create(
            show=show,
            guid="secret",
            title="Episodio para suscriptores",
            published_at=PAST,
            duration_seconds=600,
            access=Episode.Access.EXCLUSIVE,
        )
        episode_transcript_upload(
            episode=exclusive, name="secret.vtt", data=EXCLUSIVE_CUES.encode()
        )
    yield Catalog(show=show, faults=faults, exclusive=exclusive)
