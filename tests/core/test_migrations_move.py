"""Moving tables between apps keeps every row: migrate a filled database forward.

feeds/0003 and billing/0004 rename the tables of the models that left them;
ingest, library, catalog and feedkeys take the models into their state. This
fills the tables as they were before the move, through the historical models,
migrates forward, and reads everything back through today's models.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from ondas.catalog.models import Episode, FeedPerson, FeedProfile, Show
from ondas.feedkeys.models import PrivateFeedKey, PrivateFeedKeyUse
from ondas.ingest.models import FeedImport, FeedRefresh, FeedSource, RemoteEpisode
from ondas.library.models import Follow

BEFORE = [
    ("feeds", "0002_follow_feed_import"),
    ("billing", "0003_privatefeedkey_origin_staff_replaced"),
    ("catalog", "0002_audiobook_parts_chapters"),
]
T = datetime(2026, 11, 1, 12, tzinfo=UTC)
MOVED = {
    "feeds": ["feedsource", "feedrefresh", "remoteepisode", "feedimport", "follow"],
    "billing": ["privatefeedkey", "privatefeedkeyuse"],
}


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _fill(apps: object) -> dict[str, int]:
    get = apps.get_model  # type: ignore[attr-defined]
    user = get("accounts", "User").objects.create(
        email="ana@example.com", password="x", role="listener"
    )
    show = get("catalog", "Show").objects.create(
        title="Movido", slug="movido", author="Ana", language="es"
    )
    episode = get("catalog", "Episode").objects.create(
        show=show, guid="g-1", title="Uno", slug="uno", published_at=T
    )
    source = get("feeds", "FeedSource").objects.create(
        show=show,
        url="https://example.com/feed.xml",
        next_refresh_at=T,
        etag='"e1"',
        remote_link="https://example.com/",
    )
    refresh = get("feeds", "FeedRefresh").objects.create(
        source=source,
        trigger="import",
        started_at=T,
        finished_at=T,
        outcome="applied",
        added=1,
        held_body=b"<rss/>",
    )
    remote = get("feeds", "RemoteEpisode").objects.create(
        episode=episode,
        source=source,
        enclosure_url="https://example.com/1.mp3",
        enclosure_length=1234,
        item_sha256="d" * 64,
        last_seen_at=T,
    )
    get("feeds", "FeedImport").objects.create(
        url=source.url, status="done", source=source, requested_by=user
    )
    get("feeds", "FeedProfile").objects.create(show=show, owner_name="Ana")
    get("feeds", "FeedPerson").objects.create(show=show, episode=episode, name="Luis")
    get("feeds", "Follow").objects.create(user=user, show=show, created_at=T)
    key = get("billing", "PrivateFeedKey").objects.create(
        user=user,
        show=show,
        seed="a" * 64,
        token_hash="b" * 64,
        origin="created",
        created_at=T,
    )
    get("billing", "PrivateFeedKeyUse").objects.create(
        key=key, day=T.date(), kind="app", digest="c" * 64
    )
    return {
        "user": user.pk,
        "show": show.pk,
        "source": source.pk,
        "refresh": refresh.pk,
        "remote": remote.pk,
        "key": key.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_moved_tables_keep_every_row_and_constraint() -> None:
    _migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        # Content types as a database made before the move has them.
        for app_label, models in MOVED.items():
            for model in models:
                ContentType.objects.filter(model=model).delete()
                ContentType.objects.create(app_label=app_label, model=model)
        ids = _fill(apps)
    finally:
        _migrate(_latest())

    show = Show.objects.get(pk=ids["show"])
    source = FeedSource.objects.get(pk=ids["source"])
    # Its etag is forgotten later, by ingest/0002 (tests/ingest/test_migrations.py).
    assert source.show == show and source.remote_link == "https://example.com/"
    refresh = FeedRefresh.objects.get(pk=ids["refresh"])
    assert refresh.source == source and bytes(refresh.held_body or b"") == b"<rss/>"
    remote = RemoteEpisode.objects.get(pk=ids["remote"])
    assert remote.episode == Episode.objects.get(show=show, guid="g-1")
    assert remote.enclosure_length == 1234
    assert FeedImport.objects.get().source == source
    assert FeedProfile.objects.get(show=show).owner_name == "Ana"
    assert FeedPerson.objects.get(show=show).name == "Luis"
    assert Follow.objects.get().show == show
    key = PrivateFeedKey.objects.get(pk=ids["key"])
    assert key.user_id == ids["user"] and key.token_hash == "b" * 64
    assert PrivateFeedKeyUse.objects.get().key == key
    # The moved content types keep their ids (and so permissions and admin logs).
    for model in MOVED["feeds"][:4]:
        assert ContentType.objects.filter(app_label="ingest", model=model).exists()
    assert ContentType.objects.filter(app_label="library", model="follow").exists()
    assert ContentType.objects.filter(
        app_label="feedkeys", model="privatefeedkey"
    ).exists()
    assert not ContentType.objects.filter(app_label__in=["feeds"]).exists()

    # Constraints came along with the tables: one live key per person and show.
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivateFeedKey.objects.create(
            user_id=ids["user"],
            show=show,
            seed="e" * 64,
            token_hash="f" * 64,
            origin="created",
            created_at=T,
        )
    # New rows get fresh ids after the rename (sequences went with the tables).
    new_source = FeedSource.objects.create(
        show=Show.objects.create(title="Otro", slug="otro", author="A", language="es"),
        url="https://example.com/other.xml",
        next_refresh_at=T,
    )
    assert new_source.pk != source.pk
