"""Search results kept for a while, under the version of the index.

Every write to the documents (``search.services``, and ``search.signals``
once what a transaction touched is rebuilt) gives the index a new token
(``SearchIndexState.documents``); a kept result is found only under the
token it was made with, so the first search after a write computes afresh.
A result is also only good while the clock stays between the publications
around the moment it was made: an episode whose time comes shows without
any write (``catalog.visibility``), so a kept result records the last
publication at or before its moment and the next one after, and is not used
outside them.

What a result depends on besides the index goes into its key, from the
caller: the words, the page, whether the listener may hear exclusive
episodes (a cue found for a subscriber must never reach anyone else), the
operator's snippet length and the language of the page.

Kept in Django's default cache (memory of each worker, or Redis when
``ONDAS_CACHE_URL`` is set) for ``KEEP_SECONDS`` at most.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar, cast

from django.core.cache import cache
from django.db import connection

from ondas.catalog.models import Episode
from ondas.search.models import SearchIndexState

T = TypeVar("T")
# Longest a result is kept: past it, a result nobody asked for again goes.
KEEP_SECONDS = 300
_PREFIX = "search-results:"


_VERSION_SQL = f"SELECT documents FROM {SearchIndexState._meta.db_table} WHERE id = 1"  # noqa: S608 - fixed SQL


def index_version() -> str:
    """The token of the documents as they are now ("" before any write)."""
    # Every search asks: one indexed row, without building a queryset.
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def index_version_bump() -> None:
    """Give the documents a new token (in the caller's transaction, if any):
    every kept result made before is no longer found."""
    token = uuid.uuid4().hex
    updated = SearchIndexState.objects.filter(pk=1).update(documents=token)
    if not updated:
        SearchIndexState.objects.get_or_create(pk=1, defaults={"documents": token})


@dataclass(frozen=True)
class _Kept:
    since: datetime | None  # the last publication at or before it was made
    until: datetime | None  # the next publication after it was made
    value: object

    def good_at(self, now: datetime) -> bool:
        after_since = self.since is None or self.since <= now
        return after_since and (self.until is None or now < self.until)


def _publications_around(now: datetime) -> tuple[datetime | None, datetime | None]:
    # Two reads of one end of the ``catalog_ep_status_pub`` index each, not
    # an aggregate over every published episode.
    published = Episode.objects.filter(status=Episode.Status.PUBLISHED)
    times = published.values_list("published_at", flat=True)
    since = times.filter(published_at__lte=now).order_by("-published_at").first()
    until = times.filter(published_at__gt=now).order_by("published_at").first()
    return since, until


def _publications_kept(version: str, now: datetime) -> tuple[datetime | None, ...]:
    # Publication times change only with writes to episodes, which give the
    # index a new version: asked once per version while the clock stays
    # between them.
    key = _PREFIX + "publications:" + version
    kept = cache.get(key)
    if isinstance(kept, _Kept) and kept.good_at(now):
        return kept.since, kept.until
    since, until = _publications_around(now)
    cache.set(key, _Kept(since=since, until=until, value=None), KEEP_SECONDS)
    return since, until


def _key(parts: tuple[object, ...], version: str) -> str:
    digest = hashlib.sha256(repr((version, *parts)).encode()).hexdigest()
    return _PREFIX + digest


def results_cached(
    parts: tuple[object, ...],
    *,
    now: datetime,
    compute: Callable[[], T],
) -> T:
    """The result kept for ``parts`` under the index's version, good at
    ``now``; else ``compute()``'s, kept for the next asker. ``parts`` must
    name everything the result depends on but the index and the clock."""
    version = index_version()
    key = _key(parts, version)
    kept = cache.get(key)
    if isinstance(kept, _Kept) and kept.good_at(now):
        return cast(T, kept.value)  # stored below by this function, for this key
    since, until = _publications_kept(version, now)
    fresh = compute()
    cache.set(key, _Kept(since=since, until=until, value=fresh), KEEP_SECONDS)
    return fresh
