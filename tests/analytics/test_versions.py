"""Each show's numbers version moves with the roll-up writes of that show,
and only with those."""

from __future__ import annotations

import io

from ondas.analytics.ingest import log_ingest
from ondas.analytics.listening import episode_listening_recount
from ondas.analytics.versions import numbers_version_bump, numbers_version_get
from ondas.catalog.models import Episode, Show
from ondas.catalog.services import show_create
from tests.analytics.conftest import episode_make, line


def test_a_show_starts_at_zero_and_each_bump_adds_one(show: Show) -> None:
    other = show_create(title="Otra", author="Beto", language="es")
    assert numbers_version_get(show_id=show.pk) == 0

    numbers_version_bump(show_ids=[show.pk, show.pk, other.pk])
    numbers_version_bump(show_ids=[show.pk])

    assert numbers_version_get(show_id=show.pk) == 2
    assert numbers_version_get(show_id=other.pk) == 1


def test_an_ingest_bumps_the_shows_whose_downloads_it_counted(
    show: Show, episode: Episode
) -> None:
    quiet = show_create(title="Callado", author="Beto", language="es")
    short = episode_make(quiet, "corto")

    log_ingest(
        stream=io.BytesIO(line(episode) + line(short, status=206, sent=1_000)),
        name="log",
    )

    assert numbers_version_get(show_id=show.pk) == 1
    assert numbers_version_get(show_id=quiet.pk) == 0  # 1 KB: no download


def test_a_recount_bumps_its_show(show: Show, episode: Episode) -> None:
    episode_listening_recount(episode=episode)

    assert numbers_version_get(show_id=show.pk) == 1
