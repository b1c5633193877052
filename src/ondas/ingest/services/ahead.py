"""A refresh's plan made without the lock, and a big plan written ahead.

``refresh`` decides under the source's row lock, and SQLite's lock is the
whole database's (IMMEDIATE transactions): comparing 10,000 episodes with the
feed there held every other writer for seconds. So the plan is made here,
before the lock, with a stamp of the state it was made against
(``plan_stamp``: the feed applied last and the show's content version, one of
which every write a plan depends on changes); under the lock, the decision
uses it only if the stamp is unchanged, and plans again otherwise.

A plan that adds or updates many episodes is written ahead, in the short
transactions of ``batches``, when the decision would apply it anyway (not a
mass removal, not an older feed): the episodes the feed lists, each whole.
The show is listed already, so its feeds show them as they land (each batch
bumps the content version); the locked decision then finds them known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from ondas.ingest.errors import FeedOlder
from ondas.ingest.models import FeedSource
from ondas.ingest.parse import ParsedFeed
from ondas.ingest.services.batches import (
    BATCH_SIZE,
    CHUNK,
    UPDATE_BATCH_SIZE,
    changed_episodes_update,
    new_episodes_add,
    seen_mark,
)
from ondas.ingest.services.reconcile import ReconcilePlan, reconcile_plan


def feed_older(source: FeedSource, feed: ParsedFeed) -> FeedOlder | None:
    """Refuse a feed that is behind what was applied."""
    pairs = [
        (feed.build_date, source.applied_build_date),
        (feed.newest_item_at, source.applied_newest_item_at),
    ]
    for fetched, applied in pairs:
        if fetched is not None and applied is not None and fetched < applied:
            return FeedOlder(fetched=fetched.isoformat(), applied=applied.isoformat())
    return None


# A stamp of what a plan is made against: the feed applied last and the show's
# content version (every write a plan depends on bumps one or the other).
_Stamp = tuple[str, int]


def plan_stamp(source: FeedSource) -> _Stamp:
    return (source.applied_content_sha256, source.show.content_version)


def stamp_read(source: FeedSource) -> _Stamp:
    row = (
        FeedSource.objects.filter(pk=source.pk)
        .values_list("applied_content_sha256", "show__content_version")
        .get()
    )
    return (row[0], row[1])


@dataclass(frozen=True)
class Ahead:
    """A plan made outside the lock, and what was written ahead of the decision."""

    stamp: _Stamp
    plan: ReconcilePlan
    added: int = 0
    updated: int = 0
    details: dict[str, list[str]] | None = None


def apply_ahead(source: FeedSource, feed: ParsedFeed, *, now: datetime) -> Ahead | None:
    """Plan without the lock, and write a big plan's new and changed episodes
    ahead, in short transactions (``batches``); None when there is nothing to
    plan (a refusal or the same content: the locked decision is cheap).

    Only a plan the locked decision would apply is written ahead: never a
    mass removal (held) or an older feed (refused). Each batch stops if another
    refresh applied a feed meanwhile. What is written ahead is episodes the
    feed lists, each whole; the decision then plans again (without the lock)
    and finds them known, so its own transaction stays short.
    """
    stamp = stamp_read(source)
    if not feed.items or feed_older(source, feed) is not None:
        return None
    if feed.content_sha256 == stamp[0]:
        return None
    plan = reconcile_plan(show=source.show, feed=feed)
    limit = settings.ONDAS_FEEDS_MAX_REMOVAL_PERCENT / 100
    if plan.removal_share() > limit:
        return Ahead(stamp, plan)  # held for a person: nothing is written ahead

    def still_valid(locked: FeedSource) -> bool:
        return locked.applied_content_sha256 == stamp[0]

    details = plan.details()
    added: int | None = 0
    updated: int | None = 0
    big = len(plan.new) > BATCH_SIZE or len(plan.changed) > UPDATE_BATCH_SIZE
    if big:
        added = new_episodes_add(
            source=source,
            items=plan.new,
            published_fallback=feed.build_date or now,
            now=now,
            still_valid=still_valid,
        )
        if added is not None:
            updated = changed_episodes_update(
                source=source, changed=plan.changed, now=now, still_valid=still_valid
            )
    if added is not None and updated is not None and len(plan.seen) > CHUNK:
        seen_mark(source=source, episodes=plan.seen, now=now, still_valid=still_valid)
    if not big:
        return Ahead(stamp, plan)
    stamp = stamp_read(source)
    return Ahead(
        stamp,
        reconcile_plan(show=source.show, feed=feed),
        added=added or 0,
        updated=updated or 0,
        details=details,
    )
