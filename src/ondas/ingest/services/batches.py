"""Big feeds written in short transactions, so an import never holds the site.

SQLite lets one writer in at a time (``settings``: IMMEDIATE transactions, a
5 s busy timeout). A 10,000-episode import in one transaction held that lock
for about 6 s, and a listener's progress update beside it failed with
"database is locked". Here the episodes a plan adds or updates are written
``BATCH_SIZE`` at a time, each batch its own transaction, and what needs no
lock (sanitising, checking and building the rows) is done before it opens.

Every batch is safe to run twice: it inserts only the items whose GUIDs the
show does not have yet, and an update writes the item's state whatever was
there. So a run killed between batches is picked up by the next import or
refresh of the same source, which converges on the feed.

While a run goes on it holds a lease on its source (``next_refresh_at`` moved
``LEASE`` ahead, renewed by every batch), so the scheduler does not start a
refresh of the same source beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.db import transaction

from ondas.catalog.models import Episode
from ondas.ingest.models import FeedSource, RemoteEpisode
from ondas.ingest.parse import ParsedItem
from ondas.ingest.services.audit import followups_enqueue
from ondas.ingest.services.reconcile import (
    Followups,
    Progress,
    new_episodes_prepare,
    new_episodes_write,
    reconcile_update,
)

logger = logging.getLogger(__name__)

# Episodes per transaction. On the reference box under a load of ~10 (five
# test suites beside it), bench/import_writes.py measured 160 ms of lock per
# batch of 100 (420 ms for 250) for the same total: far below the 5 s busy
# timeout of every other writer, and a few times less on a quiet box.
BATCH_SIZE = 100
# Updates in place cost a few queries each: fewer per transaction.
UPDATE_BATCH_SIZE = 50
# Episode ids per transaction when only a timestamp changes.
CHUNK = 2000
# How long a run keeps other runs of its source away without renewing.
LEASE = timedelta(minutes=2)

# Called under the row lock before each batch: False stops the run (another
# run has applied a newer feed meanwhile).
StillValid = Callable[[FeedSource], bool]


def source_lease_renew(*, source_id: int, now: datetime) -> None:
    """Keep the scheduler away from the source for another ``LEASE``.

    ``next_refresh_at`` is not something a feed shows: no version bump."""
    FeedSource.objects.filter(pk=source_id).update(next_refresh_at=now + LEASE)


def _locked(source: FeedSource) -> FeedSource:
    return FeedSource.objects.select_for_update().get(pk=source.pk)


def _always(_source: FeedSource) -> bool:
    return True


def new_episodes_add(
    *,
    source: FeedSource,
    items: Sequence[ParsedItem],
    published_fallback: datetime,
    now: datetime,
    still_valid: StillValid = _always,
    on_progress: Progress | None = None,
    done: int = 0,
    total: int = 0,
) -> int | None:
    """Create the episodes of ``items`` the show lacks, a short transaction per
    batch; return how many were created, or None if ``still_valid`` stopped it.

    Each batch's rows are built before its transaction opens; inside, the
    GUIDs the show already has (a run before this one, killed) are skipped.
    """
    slugs = set(Episode.objects.filter(show=source.show).values_list("slug", flat=True))
    added = 0
    for start in range(0, len(items), BATCH_SIZE):
        chunk = items[start : start + BATCH_SIZE]
        new = new_episodes_prepare(
            source=source,
            items=chunk,
            published_fallback=published_fallback,
            slugs=slugs,
            now=now,
        )
        with transaction.atomic(durable=True):
            if not still_valid(_locked(source)):
                return None
            present = set(
                Episode.objects.filter(
                    show_id=source.show_id, guid__in=new.rows.guids
                ).values_list("guid", flat=True)
            )
            remotes = new_episodes_write(new=new, skip_guids=present)
            source_lease_renew(source_id=source.pk, now=now)
            followups = Followups()
            followups.add_new(remotes)
            followups_enqueue(followups)
        added += len(remotes)
        if on_progress is not None:
            on_progress(done + start + len(chunk), total)
    return added


def changed_episodes_update(
    *,
    source: FeedSource,
    changed: Sequence[tuple[Episode, ParsedItem]],
    now: datetime,
    still_valid: StillValid = _always,
    on_progress: Progress | None = None,
    done: int = 0,
    total: int = 0,
) -> int | None:
    """Update known episodes from their changed items, a short transaction per
    batch; return how many, or None if ``still_valid`` stopped it."""
    for start in range(0, len(changed), UPDATE_BATCH_SIZE):
        chunk = changed[start : start + UPDATE_BATCH_SIZE]
        with transaction.atomic(durable=True):
            if not still_valid(_locked(source)):
                return None
            followups_enqueue(reconcile_update(source=source, changed=chunk, now=now))
            source_lease_renew(source_id=source.pk, now=now)
        if on_progress is not None:
            on_progress(done + start + len(chunk), total)
    return len(changed)


def seen_mark(
    *,
    source: FeedSource,
    episodes: Sequence[Episode],
    now: datetime,
    still_valid: StillValid = _always,
) -> bool:
    """Mark episodes the feed still lists as seen at ``now``, a batch per
    transaction (only when they were not missing: a restore is the decision's
    to make); return False if ``still_valid`` stopped it.

    When each was last seen is not something a feed shows: no version bump.
    """
    ids = [
        e.pk
        for e in episodes
        if (r := getattr(e, "remote", None)) is not None and r.missing_since is None
    ]
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic(durable=True):
            if not still_valid(_locked(source)):
                return False
            RemoteEpisode.objects.filter(
                episode__in=ids[start : start + CHUNK], missing_since=None
            ).update(last_seen_at=now)
    for episode in episodes:  # the plan in hand now says so too
        remote = getattr(episode, "remote", None)
        if remote is not None and remote.missing_since is None:
            remote.last_seen_at = now
    return True


def leftover_episodes_delete(*, source: FeedSource, episode_ids: Sequence[int]) -> int:
    """Delete episodes of a show still being imported that its feed no longer
    lists, a batch per transaction; return how many.

    Only for a show never shown (``Show.importing``): once a show is listed,
    episodes are marked missing, never deleted.
    """
    deleted = 0
    for start in range(0, len(episode_ids), BATCH_SIZE):
        chunk = episode_ids[start : start + BATCH_SIZE]
        with transaction.atomic(durable=True):
            locked = FeedSource.objects.select_for_update().select_related("show")
            assert locked.get(pk=source.pk).show.importing
            _total, rows = Episode.objects.filter(
                show_id=source.show_id, pk__in=chunk
            ).delete()
            deleted += rows.get(Episode._meta.label, 0)
    return deleted
