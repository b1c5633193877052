"""ingest/0002-0004 on a filled database: validators forgotten, transcripts moved to
the catalog (and back)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ondas.catalog.models import Transcript
from ondas.ingest.models import FeedSource, RemoteEpisode

BEFORE = [
    ("ingest", "0001_feedsource_and_imports_moved_from_feeds"),
    ("catalog", "0004_show_content_version"),
]
MOVED = [
    ("ingest", "0003_remoteepisode_transcripts_to_catalog"),
    ("catalog", "0005_transcript"),
]
T = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _fill(targets: list[tuple[str, str]]) -> dict[str, int]:
    apps = MigrationExecutor(connection).loader.project_state(targets).apps
    get = apps.get_model
    show = get("catalog", "Show").objects.create(
        title="Viejo", slug="viejo", author="Ana", language="es"
    )
    source = get("ingest", "FeedSource").objects.create(
        show=show,
        url="https://example.com/feed.xml",
        next_refresh_at=T,
        etag='"e1"',
        last_modified="Sat, 01 Nov 2026 12:00:00 GMT",
    )
    ids = {"source": source.pk}
    for n, transcript in enumerate(["https://example.com/1.vtt", ""]):
        episode = get("catalog", "Episode").objects.create(
            show=show, guid=f"g-{n}", title="Uno", slug=f"uno-{n}", published_at=T
        )
        remote = get("ingest", "RemoteEpisode").objects.create(
            episode=episode,
            source=source,
            enclosure_url=f"https://example.com/{n}.mp3",
            transcript_url=transcript,
            transcript_type="text/vtt" if transcript else "",
            item_sha256="d" * 64,
            last_seen_at=T,
        )
        ids[f"episode-{n}"] = episode.pk
        ids[f"remote-{n}"] = remote.pk
    return ids


@pytest.mark.django_db(transaction=True)
def test_transcripts_move_to_the_catalog_and_validators_are_forgotten() -> None:
    _migrate(BEFORE)
    try:
        ids = _fill(BEFORE)
    finally:
        _migrate(_latest())

    assert list(
        Transcript.objects.values_list("episode_id", "url", "mime_type", "language")
    ) == [(ids["episode-0"], "https://example.com/1.vtt", "text/vtt", "")]
    source = FeedSource.objects.get(pk=ids["source"])
    assert (source.etag, source.last_modified) == ("", "")
    # A row stored before keeps its declared type.
    assert RemoteEpisode.objects.get(pk=ids["remote-0"]).enclosure_type == "audio/mpeg"

    # Backwards, the first transcript goes back on its remote episode.
    Transcript.objects.create(
        episode_id=ids["episode-0"], url="https://example.com/1.srt", position=1
    )
    _migrate([("ingest", "0002_remoteepisode_enclosure_type_unknown")])
    try:
        apps = MigrationExecutor(connection).loader.project_state(MOVED).apps
        remotes = apps.get_model("ingest", "RemoteEpisode").objects.order_by("pk")
        assert list(remotes.values_list("transcript_url", "transcript_type")) == [
            ("https://example.com/1.vtt", "text/vtt"),
            ("", ""),
        ]
    finally:
        _migrate(_latest())
