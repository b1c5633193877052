"""Bring a show's catalog in line with a parsed feed, without ever deleting.

``reconcile_plan`` compares; ``reconcile_apply`` writes. Callers hold the
source's row lock around the writes (see ``refresh``), so two refreshes of one
show cannot interleave, and a plan is applied against the state it was
computed from (a plan made before the lock is checked against a stamp of that
state, ``ahead``). Big plans are written in short batches by ``batches``,
which uses the pieces here: ``new_episodes_prepare`` (no lock needed),
``new_episodes_write`` and ``reconcile_update``.

- A new GUID becomes a catalog episode (``catalog.services.episodes_write``)
  with a ``RemoteEpisode`` holding the publisher's enclosure. Catalog rows are
  written by catalog services; this module writes only ingest's own.
- A known GUID whose item changed updates the episode in place; its slug, and
  so its address, stays.
- A known GUID the feed no longer lists is marked missing (``missing_since``),
  never deleted; it is restored if it comes back.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.text import slugify

from ondas.catalog.chapters import (
    ChapterInput,
    chapters_from_description,
    chapters_normalise,
)
from ondas.catalog.models import Episode, FeedProfile, Show
from ondas.catalog.services import (
    BATCH,
    EpisodeInput,
    EpisodeRows,
    episode_chapters_replace,
    episode_update_from_feed,
    episodes_prepare,
    episodes_write,
    feed_persons_replace,
    feed_profile_save,
)
from ondas.ingest.models import FeedSource, RemoteEpisode
from ondas.ingest.parse import ParsedFeed, ParsedItem

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# How many GUIDs of each kind an audit row lists.
DETAIL_LIMIT = 50


def catalog_guid(guid: str) -> str:
    """The GUID as the catalog stores it (255 characters at most)."""
    if len(guid) <= 255:
        return guid
    return "sha256:" + hashlib.sha256(guid.encode()).hexdigest()


@dataclass
class ReconcilePlan:
    new: list[ParsedItem] = field(default_factory=list)
    changed: list[tuple[Episode, ParsedItem]] = field(default_factory=list)
    seen: list[Episode] = field(default_factory=list)
    restored: list[Episode] = field(default_factory=list)
    missing: list[Episode] = field(default_factory=list)
    active_before: int = 0

    def removal_share(self) -> float:
        """The share of the show's present episodes this plan would mark missing."""
        if not self.active_before:
            return 0.0
        return len(self.missing) / self.active_before

    def details(self) -> dict[str, list[str]]:
        return {
            "added": [i.guid for i in self.new[:DETAIL_LIMIT]],
            "updated": [e.guid for e, _i in self.changed[:DETAIL_LIMIT]],
            "missing": [e.guid for e in self.missing[:DETAIL_LIMIT]],
            "restored": [e.guid for e in self.restored[:DETAIL_LIMIT]],
        }


@dataclass
class Followups:
    """What an applied plan leaves to background tasks, which fetch files."""

    # Remote episodes whose JSON chapters file needs fetching.
    chapters: list[RemoteEpisode] = field(default_factory=list)
    # Remote episodes whose enclosure's type is still unknown.
    enclosures: list[RemoteEpisode] = field(default_factory=list)

    def add(self, other: Followups) -> None:
        self.chapters += other.chapters
        self.enclosures += other.enclosures

    def add_new(self, remotes: Sequence[RemoteEpisode]) -> None:
        """What just-created remote episodes need fetched."""
        self.chapters += [r for r in remotes if r.chapters_url]
        self.enclosures += [r for r in remotes if not r.enclosure_type]


def _remote(episode: Episode) -> RemoteEpisode | None:
    # A missing reverse one-to-one raises an AttributeError subclass.
    remote: RemoteEpisode | None = getattr(episode, "remote", None)
    return remote


def reconcile_plan(*, show: Show, feed: ParsedFeed) -> ReconcilePlan:
    """Compare the feed with the show's catalog; change nothing."""
    plan = ReconcilePlan()
    episodes = {
        e.guid: e for e in Episode.objects.filter(show=show).select_related("remote")
    }
    in_feed: set[str] = set()
    for item in feed.items:
        guid = catalog_guid(item.guid)
        in_feed.add(guid)
        episode = episodes.get(guid)
        if episode is None:
            plan.new.append(item)
            continue
        remote = _remote(episode)
        if remote is None or remote.item_sha256 != item.digest():
            plan.changed.append((episode, item))
        else:
            plan.seen.append(episode)
        if remote is not None and remote.missing_since is not None:
            plan.restored.append(episode)
    for guid, episode in episodes.items():
        remote = _remote(episode)
        if remote is None or remote.missing_since is not None:
            continue
        plan.active_before += 1
        if guid not in in_feed:
            plan.missing.append(episode)
    return plan


def _unique_slug(title: str, guid: str, taken: set[str]) -> str:
    base = slugify(title)[:110] or slugify(guid)[:110] or "episode"
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    taken.add(slug)
    return slug


def item_chapters(item: ParsedItem) -> tuple[list[ChapterInput], str]:
    """The item's own chapters (Podlove first, then the description) and their origin.

    JSON chapters (``podcast:chapters``) need a fetch; a task adds them later.
    Chapters after the item's ``itunes:duration`` are kept: a publisher's
    duration is often short (an intro cut, a stale value), the chapters rarely
    lie about the audio (``chapters_past_duration_log`` says so in the log).
    """
    if item.chapters:
        return chapters_normalise(item.chapters), "psc"
    found = chapters_from_description(item.description)
    return found, "description" if found else ""


def chapters_past_duration_log(
    source_id: int, found: Sequence[tuple[str, float, Sequence[ChapterInput]]]
) -> int:
    """Log the episodes (GUID, declared duration, chapters) whose chapters run
    past their declared duration; return how many there are."""
    past = [
        (guid, duration, chapters[-1].start_seconds)
        for guid, duration, chapters in found
        if duration and chapters and chapters[-1].start_seconds >= duration
    ]
    if past:
        guid, duration, start = past[0]
        logger.warning(
            "Feed %s: %s episode(s) have chapters past their declared duration, "
            "kept (first: %s, duration %ss, a chapter at %ss)",
            source_id,
            len(past),
            guid,
            duration,
            start,
        )
    return len(past)


def _remote_fields(item: ParsedItem) -> dict[str, object]:
    return {
        "enclosure_url": item.enclosure_url,
        "enclosure_length": item.enclosure_length,
        # "" when nothing told it: a task reads it from the file.
        "enclosure_type": item.enclosure_type,
        "link": item.link,
        "chapters_url": item.chapters_url,
        "item_sha256": item.digest(),
    }


def _episode_input(
    item: ParsedItem,
    *,
    slug: str,
    published_at: datetime | None,
    chapters: Sequence[ChapterInput] = (),
) -> EpisodeInput:
    return EpisodeInput(
        guid=catalog_guid(item.guid),
        title=(item.title or item.enclosure_url.rsplit("/", 1)[-1] or item.guid)[:255],
        slug=slug,
        description=item.description,
        published_at=published_at,
        duration_seconds=item.duration_seconds,
        season=item.season,
        number=item.number,
        kind=item.kind,
        chapters=chapters,
        persons=item.persons,
        transcripts=item.transcripts,
    )


@dataclass
class NewEpisodes:
    """New items made into checked, unsaved rows: episodes (with their chapters,
    people and transcripts) and the remote episode of each, in the same order."""

    rows: EpisodeRows
    remotes: list[RemoteEpisode]


def new_episodes_prepare(
    *,
    source: FeedSource,
    items: Sequence[ParsedItem],
    published_fallback: datetime,
    slugs: set[str],
    now: datetime,
) -> NewEpisodes:
    """Build the rows of new items (the catalog checks its own); write nothing,
    so it can run outside any transaction.

    Uniqueness is settled before: GUIDs are new to the show (the plan) and
    distinct in the feed (the parser), slugs come from ``slugs``.
    """
    found = [item_chapters(item) for item in items]
    chapters_past_duration_log(
        source.pk,
        [
            (i.guid, i.duration_seconds, c)
            for i, (c, _o) in zip(items, found, strict=True)
        ],
    )
    rows = episodes_prepare(
        show=source.show,
        inputs=[
            _episode_input(
                item,
                slug=_unique_slug(item.title, item.guid, slugs),
                published_at=item.published_at or published_fallback,
                chapters=chapters,
            )
            for item, (chapters, _origin) in zip(items, found, strict=True)
        ],
    )
    remotes = [
        # Its URLs were checked by the parser (clean_url); nothing else varies.
        RemoteEpisode(
            episode=episode,
            source=source,
            chapters_origin=origin,
            last_seen_at=now,
            **_remote_fields(item),
        )
        for episode, item, (_chapters, origin) in zip(
            rows.episodes, items, found, strict=True
        )
    ]
    return NewEpisodes(rows=rows, remotes=remotes)


def new_episodes_write(
    *, new: NewEpisodes, skip_guids: set[str] | frozenset[str] = frozenset()
) -> list[RemoteEpisode]:
    """Insert prepared episodes (the catalog writes them, in bulk) and their
    remote episodes, less those of ``skip_guids``; return the remote episodes
    written. Run inside the caller's transaction."""
    rows = new.rows.without(set(skip_guids))
    remotes = [r for r in new.remotes if r.episode.guid not in skip_guids]
    episodes_write(rows=rows)
    RemoteEpisode.objects.bulk_create(remotes, batch_size=BATCH)
    return remotes


def _create_many(
    *,
    source: FeedSource,
    items: Sequence[ParsedItem],
    published_fallback: datetime,
    slugs: set[str],
    now: datetime,
) -> list[RemoteEpisode]:
    """Create episodes for new items, and the remote episode that says where
    each one's audio is."""
    new = new_episodes_prepare(
        source=source,
        items=items,
        published_fallback=published_fallback,
        slugs=slugs,
        now=now,
    )
    return new_episodes_write(new=new)


def _update(
    *, source: FeedSource, episode: Episode, item: ParsedItem, now: datetime
) -> RemoteEpisode:
    episode_update_from_feed(
        episode=episode,
        item=_episode_input(item, slug=episode.slug, published_at=item.published_at),
    )
    remote = _remote(episode)
    if remote is None:
        remote = RemoteEpisode(episode=episode, source=source, last_seen_at=now)
    keep_json = (
        remote.chapters_origin == "json"
        and item.chapters_url
        and item.chapters_url == remote.chapters_url
    )
    known_type = remote.enclosure_type
    same_file = remote.enclosure_url == item.enclosure_url
    for name, value in _remote_fields(item).items():
        setattr(remote, name, value)
    if not item.enclosure_type and same_file:
        remote.enclosure_type = known_type  # read from the file before
    remote.last_seen_at = now
    remote.missing_since = None
    if not keep_json:
        # Until a changed chapters file is fetched, the item's own chapters stand.
        chapters, origin = item_chapters(item)
        chapters_past_duration_log(
            source.pk, [(item.guid, item.duration_seconds, chapters)]
        )
        episode_chapters_replace(
            episode=episode, chapters=chapters, beyond_duration=True
        )
        remote.chapters_origin = origin
    remote.full_clean(exclude=["episode", "source"])
    remote.save()
    return remote


def seen_unmarked(episodes: Sequence[Episode], now: datetime) -> list[int]:
    """The ids of these episodes whose remote episode is not yet marked seen
    at ``now`` (a batch before may have done it)."""
    ids = []
    for episode in episodes:
        remote = _remote(episode)
        if remote is None or remote.last_seen_at != now or remote.missing_since:
            ids.append(episode.pk)
    return ids


def reconcile_update(
    *,
    source: FeedSource,
    changed: Sequence[tuple[Episode, ParsedItem]],
    now: datetime,
) -> Followups:
    """Update known episodes in place from their changed items; return the
    files they still need fetched. Run inside the caller's transaction.

    Applying an item twice leaves the same episode: a batch of updates can be
    repeated after a killed run."""
    followups = Followups()
    for episode, item in changed:
        before = _remote(episode)
        old_url = before.chapters_url if before is not None else ""
        remote = _update(source=source, episode=episode, item=item, now=now)
        if remote.chapters_url and remote.chapters_url != old_url:
            followups.chapters.append(remote)
        if not remote.enclosure_type:
            followups.enclosures.append(remote)
    return followups


def show_profile_apply(*, show: Show, feed: ParsedFeed) -> FeedProfile:
    """Keep what the feed says about its owner, lock (with the lock's own owner)
    and funding, and its people."""
    profile = feed_profile_save(
        show=show,
        owner_name=feed.owner_name,
        owner_email=feed.owner_email,
        locked=feed.locked,
        locked_owner=feed.locked_owner,
        funding_url=feed.funding_url,
        funding_text=feed.funding_text,
        copyright=feed.copyright,
    )
    feed_persons_replace(show=show, episode=None, persons=feed.persons)
    return profile


def reconcile_apply(
    *,
    source: FeedSource,
    feed: ParsedFeed,
    plan: ReconcilePlan,
    now: datetime,
    on_progress: Progress | None = None,
) -> Followups:
    """Apply ``plan``; return the files the remote episodes it wrote still need
    fetched (JSON chapters, the first bytes of enclosures of unknown type).

    Must run inside the caller's transaction, with the source row locked.
    """
    assert transaction.get_connection().in_atomic_block
    followups = Followups()
    slugs = set(Episode.objects.filter(show=source.show).values_list("slug", flat=True))
    total = len(plan.new) + len(plan.changed)
    done = 0
    fallback = feed.build_date or now
    for start in range(0, len(plan.new), BATCH):
        batch = plan.new[start : start + BATCH]
        remotes = _create_many(
            source=source,
            items=batch,
            published_fallback=fallback,
            slugs=slugs,
            now=now,
        )
        followups.add_new(remotes)
        done += len(batch)
        if on_progress is not None:
            on_progress(done, total)
    for start in range(0, len(plan.changed), 50):
        chunk = plan.changed[start : start + 50]
        followups.add(reconcile_update(source=source, changed=chunk, now=now))
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, total)
    unmarked = seen_unmarked(plan.seen, now)
    if unmarked:
        RemoteEpisode.objects.filter(episode__in=unmarked).update(
            last_seen_at=now, missing_since=None
        )
    RemoteEpisode.objects.filter(episode__in=[e.pk for e in plan.missing]).update(
        missing_since=now
    )
    if plan.missing:
        logger.warning(
            "Feed %s: %s episode(s) no longer listed, marked missing",
            source.pk,
            len(plan.missing),
        )
    return followups
