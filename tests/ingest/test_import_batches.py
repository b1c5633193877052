"""Imports and refreshes written in short batches: the show stays hidden until
it is whole, a run killed midway leaves nothing visible, and the next import or
refresh of the same feed ends with exactly the feed's episodes.

A "kill" here is an exception raised from the progress callback, which runs
after a batch has committed: what a real kill between two batches leaves.
``test_import_writes.py`` kills a real process (``kill -9``) on a file database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import now as timezone_now

from ondas.catalog.errors import ShowNotFound
from ondas.catalog.models import Chapter, Episode, Show
from ondas.catalog.selectors import (
    episode_get_by_id,
    show_get,
    show_list,
    show_version_get,
)
from ondas.core.errors import ErrorCode, NotFoundError
from ondas.feeds.render import show_feed_file
from ondas.feeds.selectors import show_feed_validators
from ondas.ingest.errors import FeedAlreadyImported, FeedImportInProgress
from ondas.ingest.models import FeedRefresh, FeedSource, RemoteEpisode
from ondas.ingest.selectors import show_match_feed_urls
from ondas.ingest.services import ahead, batches
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import feed_source_claim_due, feed_source_refresh
from tests.ingest.factories import FakeItem, fake_items, rss
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

BATCH = 10


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 10, so a feed of a few dozen items takes several."""
    monkeypatch.setattr(batches, "BATCH_SIZE", BATCH)
    monkeypatch.setattr(batches, "UPDATE_BATCH_SIZE", 5)
    monkeypatch.setattr(ahead, "BATCH_SIZE", BATCH)
    monkeypatch.setattr(ahead, "UPDATE_BATCH_SIZE", 5)


class Killed(Exception):
    """The process died here (after a batch had committed)."""


def _kill_after(done_at_least: int) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        if done >= done_at_least:
            raise Killed

    return progress


def _catalog(show: Show) -> list[tuple[object, ...]]:
    """What a show's feed and pages show of its episodes, by GUID.

    Not the slugs: an episode updated in place keeps its address, as in any
    refresh, so a title changed between two runs does not move it."""
    rows = []
    episodes = Episode.objects.filter(show=show).select_related("remote")
    for e in episodes.order_by("guid"):
        rows.append(
            (
                e.guid,
                e.title,
                e.description,
                e.published_at,
                e.duration_seconds,
                e.number,
                e.remote.enclosure_url,
                e.remote.enclosure_length,
                e.remote.item_sha256,
                e.remote.missing_since,
                tuple(
                    Chapter.objects.filter(episode=e)
                    .order_by("start_seconds")
                    .values_list("start_seconds", "title")
                ),
            )
        )
    return rows


def _hidden_everywhere(show: Show, client: Client, *, media_root: Path) -> None:
    """The show is nowhere a listener (or a feed reader) could find it."""
    episode = Episode.objects.filter(show=show).first()
    assert episode is not None  # some episodes are written already
    assert client.get(reverse("web:show-detail", args=[show.slug])).status_code == 404
    assert client.get(reverse("feeds:show-feed", args=[show.slug])).status_code == 404
    episode_url = reverse("web:episode-detail", args=[show.slug, episode.slug])
    assert client.get(episode_url).status_code == 404
    home = client.get(reverse("web:home")).content.decode()
    assert reverse("web:show-detail", args=[show.slug]) not in home
    assert show not in show_list()
    with pytest.raises(ShowNotFound):
        show_get(slug=show.slug)
    with pytest.raises(ShowNotFound):
        show_version_get(slug=show.slug)
    with pytest.raises(NotFoundError):
        episode_get_by_id(episode_id=episode.pk)  # a progress update finds none
    source = FeedSource.objects.get(show=show)
    assert show_match_feed_urls(urls=[source.url]) == {}  # OPML import
    # No feed file was ever written for it, and none can be.
    assert list((media_root / "feeds" / str(show.pk)).glob("*.xml*")) == []
    fresh = Show.objects.get(pk=show.pk)
    validators = show_feed_validators(show=fresh, base_url="http://testserver")
    with pytest.raises(ShowNotFound):
        show_feed_file(
            show_id=fresh.pk,
            load_show=lambda: fresh,
            base_url="http://testserver",
            validators=validators,
        )


def test_import_hides_the_show_while_batches_are_written(
    feed_server: FeedServer, media_root: Path
) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(35))))
    client = Client()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        show = Show.objects.get()
        assert show.importing is True
        _hidden_everywhere(show, client, media_root=media_root)
        seen.append((done, Episode.objects.filter(show=show).count()))

    source = feed_source_import(url=url, on_progress=progress)

    # Four batches, each committed (and counted) before the next.
    assert seen == [(10, 10), (20, 20), (30, 30), (35, 35)]
    show = Show.objects.get(pk=source.show_id)
    assert show.importing is False
    assert client.get(reverse("web:show-detail", args=[show.slug])).status_code == 200
    assert client.get(reverse("feeds:show-feed", args=[show.slug])).status_code == 200
    assert show in show_list()


def test_listing_the_show_changes_its_validator(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(25))))
    versions: list[int] = []

    def progress(done: int, total: int) -> None:
        versions.append(Show.objects.get().content_version)

    source = feed_source_import(url=url, on_progress=progress)

    listed = Show.objects.get(pk=source.show_id)
    assert versions == sorted(versions) and len(set(versions)) == 3
    assert listed.content_version > versions[-1]
    response = Client().get(reverse("feeds:show-feed", args=[listed.slug]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).count(b"<item>") == 25  # type: ignore[attr-defined]


def test_killed_import_leaves_nothing_visible_and_the_next_import_converges(
    feed_server: FeedServer, media_root: Path
) -> None:
    items = fake_items(43)
    items[4] = replace(items[4], psc=[("0", "Start"), ("00:05:00", "Five")])
    body = rss(items)
    url = feed_server.serve("/feed.xml", Reply(body, etag='"v1"'))
    reference = feed_source_import(url=feed_server.serve("/ref.xml", Reply(body)))

    with pytest.raises(Killed):
        feed_source_import(url=url, on_progress=_kill_after(20))

    show = Show.objects.get(feed_source__url=url)
    assert show.importing is True
    assert Episode.objects.filter(show=show).count() == 20
    _hidden_everywhere(show, Client(), media_root=media_root)
    source = FeedSource.objects.get(url=url)
    assert source.etag == "" and source.applied_content_sha256 == ""
    assert not FeedRefresh.objects.filter(source=source).exists()

    resumed = feed_source_import(url=url)

    assert resumed.pk == source.pk and resumed.show_id == show.pk
    assert resumed.show.importing is False
    assert _catalog(resumed.show) == _catalog(reference.show)
    assert resumed.etag == '"v1"'
    row = FeedRefresh.objects.get(source=resumed)
    assert (row.outcome, row.added, row.items_in_feed) == ("applied", 23, 43)
    # Idempotent: importing again is refused, refreshing finds nothing to do.
    with pytest.raises(FeedAlreadyImported):
        feed_source_import(url=url)
    assert feed_source_refresh(source=resumed).outcome in {"unchanged", "not_modified"}
    assert _catalog(resumed.show) == _catalog(reference.show)


@pytest.mark.parametrize("kill_at", [1, 10, 30])
def test_killed_import_of_a_changed_feed_converges_on_the_new_feed(
    feed_server: FeedServer, kill_at: int
) -> None:
    """Between the kill and the next import the feed lost items, changed
    some and gained others: the show ends with the new feed exactly."""
    first = fake_items(40)
    url = feed_server.serve("/feed.xml", Reply(rss(first)))
    with pytest.raises(Killed):
        feed_source_import(url=url, on_progress=_kill_after(kill_at))

    second: list[FakeItem] = [
        replace(item, title=item.title + " (remastered)") if n % 7 == 0 else item
        for n, item in enumerate(first[5:])
    ] + fake_items(8, prefix="late")
    feed_server.serve("/feed.xml", Reply(rss(second)))
    reference = feed_source_import(
        url=feed_server.serve("/ref.xml", Reply(rss(second)))
    )

    resumed = feed_source_import(url=url)

    assert resumed.show.importing is False
    assert _catalog(resumed.show) == _catalog(reference.show)
    assert not RemoteEpisode.objects.filter(
        source=resumed, missing_since__isnull=False
    ).exists()


def test_killed_import_is_resumed_by_the_next_refresh(
    feed_server: FeedServer,
) -> None:
    body = rss(fake_items(31))
    url = feed_server.serve("/feed.xml", Reply(body, etag='"v1"'))
    reference = feed_source_import(url=feed_server.serve("/ref.xml", Reply(body)))
    with pytest.raises(Killed):
        feed_source_import(url=url, on_progress=_kill_after(10))
    source = FeedSource.objects.get(url=url)

    row = feed_source_refresh(source=source)

    assert (row.outcome, row.added) == ("applied", 21)
    source.refresh_from_db()
    assert source.show.importing is False
    assert _catalog(source.show) == _catalog(reference.show)
    # The feed's validators are kept only once the show is whole.
    assert source.etag == '"v1"'
    assert feed_source_refresh(source=source).outcome == "not_modified"


def test_an_import_still_running_is_not_run_twice(
    feed_server: FeedServer,
) -> None:
    """A run that died without a word (kill -9) keeps its lease until it runs
    out: a second import meanwhile is refused, a refresh records why."""
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(30))))
    with pytest.raises(Killed):
        feed_source_import(url=url, on_progress=_kill_after(10))
    source = FeedSource.objects.get(url=url)
    now = timezone_now()
    FeedSource.objects.filter(pk=source.pk).update(next_refresh_at=now + batches.LEASE)

    with pytest.raises(FeedImportInProgress) as refused:
        feed_source_import(url=url, now=now)
    assert refused.value.code == ErrorCode.FEED_IMPORT_IN_PROGRESS
    assert refused.value.message == (
        "This feed is being imported right now; try again in a few minutes."
    )
    row = feed_source_refresh(
        source=source, trigger=FeedRefresh.Trigger.MANUAL, now=now
    )
    assert (row.outcome, row.reason) == ("refused", "feed_import_in_progress")
    assert Episode.objects.filter(show=source.show).count() == 10

    later = now + batches.LEASE + timedelta(seconds=1)
    resumed = feed_source_import(url=url, now=later)
    assert resumed.show.importing is False
    assert Episode.objects.filter(show=resumed.show).count() == 30


def test_import_killed_again_and_again_then_converges(feed_server: FeedServer) -> None:
    body = rss(fake_items(57))
    url = feed_server.serve("/feed.xml", Reply(body))
    reference = feed_source_import(url=feed_server.serve("/ref.xml", Reply(body)))
    for _kill in range(5):
        with pytest.raises(Killed):
            feed_source_import(url=url, on_progress=_kill_after(1))
    show = Show.objects.get(feed_source__url=url)
    assert Episode.objects.filter(show=show).count() == 50
    assert show.importing is True

    feed_source_import(url=url)

    assert _catalog(Show.objects.get(pk=show.pk)) == _catalog(reference.show)


# Refreshes -------------------------------------------------------------------


def test_refresh_that_adds_many_episodes_writes_them_in_batches(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = fake_items(60)
    url = feed_server.serve("/feed.xml", Reply(rss(items[:15])))
    source = feed_source_import(url=url)
    version = Show.objects.get(pk=source.show_id).content_version
    reference = feed_source_import(url=feed_server.serve("/ref.xml", Reply(rss(items))))
    feed_server.serve("/feed.xml", Reply(rss(items)))
    writes: list[int] = []
    real_write = batches.new_episodes_write

    def counted(**kwargs: object) -> list[RemoteEpisode]:
        made = real_write(**kwargs)  # type: ignore[arg-type]
        writes.append(len(made))
        return made

    monkeypatch.setattr(batches, "new_episodes_write", counted)

    row = feed_source_refresh(source=source)

    assert writes == [10, 10, 10, 10, 5]
    assert (row.outcome, row.added, row.updated, row.missing) == ("applied", 45, 0, 0)
    assert _catalog(source.show) == _catalog(reference.show)
    assert Show.objects.get(pk=source.show_id).content_version > version


def test_refresh_killed_between_batches_is_finished_by_the_next(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = fake_items(50)
    url = feed_server.serve("/feed.xml", Reply(rss(items[:12])))
    source = feed_source_import(url=url)
    changed = [
        replace(item, title=item.title + " (fixed)") if n < 12 else item
        for n, item in enumerate(items)
    ]
    feed_server.serve("/feed.xml", Reply(rss(changed)))
    reference = feed_source_import(
        url=feed_server.serve("/ref.xml", Reply(rss(changed)))
    )
    real_write = batches.new_episodes_write
    calls: list[int] = []

    def dies_on_third(**kwargs: object) -> list[RemoteEpisode]:
        calls.append(1)
        if len(calls) == 3:
            raise Killed
        return real_write(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batches, "new_episodes_write", dies_on_third)
    with pytest.raises(Killed):
        feed_source_refresh(source=source)
    assert Episode.objects.filter(show=source.show).count() == 32  # 12 + 2 batches
    monkeypatch.setattr(batches, "new_episodes_write", real_write)

    row = feed_source_refresh(source=source)

    assert (row.outcome, row.added, row.updated) == ("applied", 18, 12)
    assert _catalog(source.show) == _catalog(reference.show)
    assert feed_source_refresh(source=source).outcome == "unchanged"


def test_refresh_plans_outside_the_lock_and_replans_if_the_show_changed(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = fake_items(8)
    url = feed_server.serve("/feed.xml", Reply(rss(items[:6])))
    source = feed_source_import(url=url)
    feed_server.serve("/feed.xml", Reply(rss(items)))
    real_ahead = ahead.apply_ahead

    def and_an_edit(*args: object, **kwargs: object) -> ahead.Ahead | None:
        made = real_ahead(*args, **kwargs)  # type: ignore[arg-type]
        # A write lands between the plan and the lock: an episode is deleted.
        Episode.objects.filter(show=source.show, guid="ep-00000").delete()
        return made

    from ondas.ingest.services import refresh

    monkeypatch.setattr(refresh, "apply_ahead", and_an_edit)

    row = feed_source_refresh(source=source)

    # Planned again under the lock: the deleted episode is new again.
    assert (row.outcome, row.added) == ("applied", 3)
    assert Episode.objects.filter(show=source.show).count() == 8


def test_killed_import_is_resumed_by_the_scheduler(feed_server: FeedServer) -> None:
    """kill -9: the lease runs out, the scheduler claims the source (moving
    its next refresh on) and its refresh finishes the import."""
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(30))))
    with pytest.raises(Killed):
        feed_source_import(url=url, on_progress=_kill_after(10))
    source = FeedSource.objects.get(url=url)
    now = timezone_now()
    FeedSource.objects.filter(pk=source.pk).update(next_refresh_at=now + batches.LEASE)
    assert feed_source_claim_due(now=now) == []  # the import's lease holds

    later = now + batches.LEASE + timedelta(seconds=1)
    assert feed_source_claim_due(now=later) == [source.pk]
    row = feed_source_refresh(source=source, now=later)

    assert (row.outcome, row.added) == ("applied", 20)
    source.refresh_from_db()
    assert source.show.importing is False
    assert source.next_refresh_at > later + batches.LEASE  # the real schedule


def test_refresh_of_a_big_show_marks_what_it_saw_in_batches(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One item changed among many: the rest are marked seen ahead, a few ids
    a transaction, and the decision's own transaction marks none of them."""
    monkeypatch.setattr(batches, "CHUNK", 7)
    monkeypatch.setattr(ahead, "CHUNK", 7)
    items = fake_items(30)
    url = feed_server.serve("/feed.xml", Reply(rss(items)))
    source = feed_source_import(url=url)
    items[3] = replace(items[3], title="Episode 3, again")
    feed_server.serve("/feed.xml", Reply(rss(items)))
    marked: list[int] = []
    real_update = RemoteEpisode.objects.none().__class__.update

    def counted(self: object, **kwargs: object) -> int:
        rows = real_update(self, **kwargs)  # type: ignore[arg-type]
        if set(kwargs) == {"last_seen_at"} or "last_seen_at" in kwargs:
            marked.append(rows)
        return rows

    monkeypatch.setattr(RemoteEpisode.objects.none().__class__, "update", counted)
    later = timezone_now() + timedelta(minutes=1)

    row = feed_source_refresh(source=source, now=later)

    assert (row.outcome, row.updated) == ("applied", 1)
    assert marked == [7, 7, 7, 7, 1]  # 29 seen ahead; none left for the decision
    assert set(
        RemoteEpisode.objects.filter(source=source).values_list(
            "last_seen_at", flat=True
        )
    ) == {later}


def _with_chapters(items: list[FakeItem]) -> list[FakeItem]:
    psc = (("00:00:00", "Intro"), ("00:05:00", "News"), ("00:20:00", "Questions"))
    return [replace(item, psc=psc) for item in items]


def test_import_queries_grow_with_batches_not_rows(feed_server: FeedServer) -> None:
    """Episodes, chapters and remote episodes are written a statement per
    table and batch, and the content version is bumped per batch: each more
    batch costs the same few queries, however many rows it holds. (The index
    follows commits, which this test's transaction never makes.)"""
    counts = {}
    bumps = {}
    for size in (20, 40):
        items = _with_chapters(fake_items(size, prefix=f"q{size}"))
        url = feed_server.serve(f"/feed-{size}.xml", Reply(rss(items)))
        with CaptureQueriesContext(connection) as captured:
            feed_source_import(url=url)
        counts[size] = len(captured.captured_queries)
        bumps[size] = sum(
            'UPDATE "catalog_show"' in q["sql"] and "content_version" in q["sql"]
            for q in captured.captured_queries
        )
    assert Chapter.objects.count() == 3 * 60
    per_batch = (counts[40] - counts[20]) / 2  # two more batches of 10
    # 10 episodes, 30 chapters and 10 remote episodes a batch (measured: 11.5).
    assert 0 < per_batch <= 15, counts
    # The version moves once per table a batch writes (measured: 3), never
    # once per row (40 a batch).
    assert 0 < bumps[40] - bumps[20] <= 2 * 3, bumps
