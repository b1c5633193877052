"""Create a show from its RSS or Atom feed (``ondas feeds import URL``)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.utils.timezone import now as timezone_now

from ondas.catalog.errors import UnknownCategory
from ondas.catalog.models import Episode, Show
from ondas.catalog.selectors import show_slug_free
from ondas.catalog.services import (
    category_resolve,
    show_create,
    show_listed,
    show_update_from_feed,
)
from ondas.ingest.errors import FeedAlreadyImported, FeedImportInProgress, FeedLocked
from ondas.ingest.fetch import fetch_url
from ondas.ingest.models import FeedRefresh, FeedSource, RemoteEpisode
from ondas.ingest.parse import ParsedFeed, feed_items_missing, feed_parse
from ondas.ingest.services.audit import (
    Attempt,
    applied_state_record,
    audit_write,
    show_language,
    source_schedule,
)
from ondas.ingest.services.batches import (
    LEASE,
    changed_episodes_update,
    leftover_episodes_delete,
    new_episodes_add,
    source_lease_renew,
)
from ondas.ingest.services.reconcile import (
    Progress,
    catalog_guid,
    reconcile_plan,
    show_profile_apply,
)
from ondas.ingest.signals import feed_imported

logger = logging.getLogger(__name__)

Outcome = FeedRefresh.Outcome
Trigger = FeedRefresh.Trigger


def _ownership_proven(feed: ParsedFeed, owner_email: str) -> bool:
    claimed = owner_email.strip().lower()
    owners = {feed.locked_owner.strip().lower(), feed.owner_email.strip().lower()}
    return bool(claimed) and claimed in owners - {""}


def _categories(feed: ParsedFeed) -> list[str]:
    names: list[str] = []
    for name in feed.categories:
        try:
            category_resolve(name=name)
        except UnknownCategory:
            top = name.split(">")[0].strip()
            if top == name:
                continue
            name = top
            try:
                category_resolve(name=name)
            except UnknownCategory:
                continue
        if name not in names:
            names.append(name)
    return names


def feed_source_import(
    *,
    url: str,
    acting_user: AbstractBaseUser | None = None,
    owner_email: str = "",
    refresh_interval_minutes: int | None = None,
    now: datetime | None = None,
    on_progress: Progress | None = None,
) -> FeedSource:
    """Create a show from the feed at ``url`` and keep it refreshed.

    A feed marked ``podcast:locked`` yes is imported only when ``owner_email``
    (or the acting user's email) is the owner's address the feed names.
    Raises a FeedError when the feed cannot be fetched, read, or imported.

    The show is created hidden (``Show.importing``), its episodes are written
    in short transactions (``batches``), and the last one lists it. An import
    of the same feed that was killed midway is resumed here (or by the next
    refresh); one still running raises FeedImportInProgress.
    """
    existing = FeedSource.objects.filter(url=url).select_related("show").first()
    if existing is not None and not existing.show.importing:
        raise FeedAlreadyImported(url=url, show_slug=existing.show.slug)
    started = now or timezone_now()
    fetch = fetch_url(url)
    feed = feed_parse(fetch.body, url=fetch.url)
    claimed = owner_email or str(getattr(acting_user, "email", "") or "")
    if feed.locked and not _ownership_proven(feed, claimed):
        raise FeedLocked()
    if not feed.items:
        raise feed_items_missing(feed)
    current = timezone_now() if now is None else now
    if existing is None:
        source = _import_begin(
            url=url,
            feed=feed,
            acting_user=acting_user,
            refresh_interval_minutes=refresh_interval_minutes,
            now=current,
        )
    else:
        source = import_resume_claim(source=existing, now=current)
    row = import_finish(
        source=source,
        attempt=Attempt(started, Trigger.IMPORT, fetch),
        feed=feed,
        now=current,
        on_progress=on_progress,
    )
    logger.info(
        "Feed %s imported as show %s with %s episodes",
        source.pk,
        source.show.slug,
        row.added,
    )
    return FeedSource.objects.select_related("show").get(pk=source.pk)


@transaction.atomic(durable=True)
def _import_begin(
    *,
    url: str,
    feed: ParsedFeed,
    acting_user: AbstractBaseUser | None,
    refresh_interval_minutes: int | None,
    now: datetime,
) -> FeedSource:
    """The hidden show, its source (leased to this run) and profile: one
    short transaction; the episodes come after, in batches."""
    show = show_create(
        title=feed.title[:255] or url,
        author=(feed.author or feed.owner_name or feed.title)[:255] or "—",
        language=show_language(feed.language),
        description=feed.description,
        slug=show_slug_free(feed.title),
        categories=_categories(feed),
        explicit=feed.explicit,
        kind=feed.kind if feed.kind in Show.Kind.values else Show.Kind.EPISODIC,
        importing=True,
    )
    if _usable_guid(feed.podcast_guid):
        show.guid = uuid.UUID(feed.podcast_guid)
        show.save(update_fields=["guid", "updated_at"])
    # No HTTP validators yet: a refresh that resumes a killed import must get
    # the whole feed, not a 304.
    source = FeedSource(
        show=show,
        url=url,
        refresh_interval_minutes=(
            refresh_interval_minutes or settings.ONDAS_FEEDS_REFRESH_MINUTES
        ),
        next_refresh_at=now + LEASE,
        imported_by=acting_user if acting_user and acting_user.pk else None,  # type: ignore[misc]
    )
    source.full_clean(exclude=["show", "imported_by"])
    source.save()
    # Other apps learn who imported the show (the studio makes them its owner).
    feed_imported.send(sender=FeedSource, source=source, imported_by=source.imported_by)
    show_profile_apply(show=show, feed=feed)
    return source


def import_resume_claim(
    *, source: FeedSource, now: datetime, leased: bool = False
) -> FeedSource:
    """Take over the import of a source whose show is still hidden.

    Raise FeedImportInProgress while another run holds its lease (unless
    ``leased``: the scheduler claimed the source, which it does only once the
    lease has run out), and FeedAlreadyImported if the import finished
    meanwhile.
    """
    with transaction.atomic(durable=True):
        locked = (
            FeedSource.objects.select_for_update()
            .select_related("show")
            .get(pk=source.pk)
        )
        if not locked.show.importing:
            raise FeedAlreadyImported(url=locked.url, show_slug=locked.show.slug)
        if not leased and locked.next_refresh_at > now:
            raise FeedImportInProgress(url=locked.url)
        source_lease_renew(source_id=locked.pk, now=now)
    logger.info("Feed %s: resuming the import of show %s", locked.pk, locked.show_id)
    return locked


def _lease_release(source: FeedSource, now: datetime) -> None:
    """Let the next import or refresh resume at once (a run that failed)."""
    try:
        with transaction.atomic(durable=True):
            FeedSource.objects.filter(pk=source.pk).update(next_refresh_at=now)
    except DatabaseError:
        logger.exception("Feed %s: the import's lease was not released", source.pk)


def import_finish(
    *,
    source: FeedSource,
    attempt: Attempt,
    feed: ParsedFeed,
    now: datetime,
    on_progress: Progress | None = None,
) -> FeedRefresh:
    """Write the feed's episodes into the hidden show, batch by batch, then list
    it; return the audit row. The caller holds the source's lease.

    Whatever an earlier, killed run left is kept where the feed still lists it,
    updated where the item changed, and deleted where it does not (the show was
    never shown), so the show ends with exactly the feed's episodes.
    """
    counts = {"added": 0, "updated": 0, "removed": 0}
    details: dict[str, object] = {}
    resumed = False  # an earlier run left episodes (or the show's fields)
    fallback = feed.build_date or now
    try:
        for _round in range(3):
            plan = reconcile_plan(show=source.show, feed=feed)
            details = details or dict(plan.details())
            resumed = resumed or bool(plan.seen or plan.changed or plan.missing)
            wanted = {catalog_guid(item.guid) for item in feed.items}
            leftovers = [
                pk
                for guid, pk in Episode.objects.filter(show=source.show).values_list(
                    "guid", "pk"
                )
                if guid not in wanted
            ]
            counts["removed"] += leftover_episodes_delete(
                source=source, episode_ids=leftovers
            )
            total = len(plan.new) + len(plan.changed)
            counts["added"] += (
                new_episodes_add(
                    source=source,
                    items=plan.new,
                    published_fallback=fallback,
                    now=now,
                    on_progress=on_progress,
                    total=total,
                )
                or 0
            )
            counts["updated"] += (
                changed_episodes_update(
                    source=source,
                    changed=plan.changed,
                    now=now,
                    on_progress=on_progress,
                    done=len(plan.new),
                    total=total,
                )
                or 0
            )
            row = _import_complete(
                source,
                attempt,
                feed,
                now=now,
                counts=counts,
                details=details,
                resumed=resumed or bool(counts["removed"]),
            )
            if row is not None:
                return row
        raise FeedImportInProgress(url=source.url)  # another run kept writing
    except BaseException:
        _lease_release(source, now)
        raise


def _resumed_refresh(source: FeedSource, feed: ParsedFeed, *, now: datetime) -> None:
    """What a run before this one wrote from an older copy of the feed: the
    show's fields, its profile, and when its episodes were last seen."""
    show = source.show
    RemoteEpisode.objects.filter(source=source).exclude(last_seen_at=now).update(
        last_seen_at=now, missing_since=None
    )
    show_update_from_feed(
        show=show,
        title=feed.title,
        author=feed.author,
        description=feed.description,
        explicit=feed.explicit,
        kind=feed.kind,
        language=show_language(feed.language, default=show.language),
    )
    show_profile_apply(show=show, feed=feed)


def _import_complete(
    source: FeedSource,
    attempt: Attempt,
    feed: ParsedFeed,
    *,
    now: datetime,
    counts: dict[str, int],
    details: dict[str, object],
    resumed: bool,
) -> FeedRefresh | None:
    """List the show if it holds exactly the feed's episodes; return the audit
    row, or None when it does not (the caller plans again).

    A show begun by this very run has its fields and profile from this feed
    already, and every episode seen now: only a resumed one needs them
    written again, which keeps the last transaction short."""
    assert attempt.fetch is not None
    with transaction.atomic(durable=True):
        locked = (
            FeedSource.objects.select_for_update()
            .select_related("show")
            .get(pk=source.pk)
        )
        show = locked.show
        if not show.importing:  # another run finished it
            return locked.refreshes.order_by("-started_at", "-pk").first()
        if Episode.objects.filter(show=show).count() != len(feed.items):
            return None
        if resumed:
            _resumed_refresh(locked, feed, now=now)
        # Listed from now on; like any write a feed shows, this bumps the
        # show's content version, so every validator changes with it.
        show_listed(show=show)
        applied_state_record(locked, feed)
        locked.etag = attempt.fetch.etag
        locked.last_modified = attempt.fetch.last_modified
        source_schedule(locked, ok=True, now=now)
        locked.save()
        return audit_write(
            locked,
            attempt,
            outcome=Outcome.APPLIED,
            now=now,
            feed=feed,
            added=counts["added"],
            updated=counts["updated"],
            details=details
            | {"skipped_items": feed.skipped_items, "removed": counts["removed"]},
        )


def _usable_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return bool(value) and not Show.objects.filter(guid=value).exists()
