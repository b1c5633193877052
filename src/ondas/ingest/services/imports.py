"""Create a show from its RSS or Atom feed (``ondas feeds import URL``)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify
from django.utils.timezone import now as timezone_now

from ondas.catalog.errors import UnknownCategory
from ondas.catalog.models import Show
from ondas.catalog.services import category_resolve, show_create
from ondas.ingest.errors import FeedAlreadyImported, FeedLocked
from ondas.ingest.fetch import fetch_url
from ondas.ingest.models import FeedRefresh, FeedSource
from ondas.ingest.parse import ParsedFeed, feed_items_missing, feed_parse
from ondas.ingest.services.audit import (
    Attempt,
    applied_state_record,
    audit_write,
    followups_enqueue,
    show_language,
    source_schedule,
)
from ondas.ingest.services.reconcile import (
    Progress,
    reconcile_apply,
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


def _unique_show_slug(title: str) -> str:
    base = slugify(title)[:100] or "show"
    slug, n = base, 2
    while Show.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


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
    """
    existing = FeedSource.objects.filter(url=url).select_related("show").first()
    if existing is not None:
        raise FeedAlreadyImported(url=url, show_slug=existing.show.slug)
    started = now or timezone_now()
    fetch = fetch_url(url)
    feed = feed_parse(fetch.body, url=fetch.url)
    claimed = owner_email or str(getattr(acting_user, "email", "") or "")
    if feed.locked and not _ownership_proven(feed, claimed):
        raise FeedLocked()
    if not feed.items:
        raise feed_items_missing(feed)
    with transaction.atomic(durable=True):
        show = show_create(
            title=feed.title[:255] or url,
            author=(feed.author or feed.owner_name or feed.title)[:255] or "—",
            language=show_language(feed.language),
            description=feed.description,
            slug=_unique_show_slug(feed.title),
            categories=_categories(feed),
            explicit=feed.explicit,
            kind=feed.kind if feed.kind in Show.Kind.values else Show.Kind.EPISODIC,
        )
        if _usable_guid(feed.podcast_guid):
            show.guid = uuid.UUID(feed.podcast_guid)
            show.save(update_fields=["guid", "updated_at"])
        source = FeedSource(
            show=show,
            url=url,
            refresh_interval_minutes=(
                refresh_interval_minutes or settings.ONDAS_FEEDS_REFRESH_MINUTES
            ),
            next_refresh_at=started,
            etag=fetch.etag,
            last_modified=fetch.last_modified,
            imported_by=acting_user if acting_user and acting_user.pk else None,  # type: ignore[misc]
        )
        source.full_clean(exclude=["show", "imported_by"])
        source.save()
        feed_imported.send(
            sender=FeedSource, source=source, imported_by=source.imported_by
        )
        show_profile_apply(show=show, feed=feed)
        plan = reconcile_plan(show=show, feed=feed)
        current = timezone_now() if now is None else now
        followups = reconcile_apply(
            source=source, feed=feed, plan=plan, now=current, on_progress=on_progress
        )
        applied_state_record(source, feed)
        source_schedule(source, ok=True, now=current)
        source.save()
        audit_write(
            source,
            Attempt(started, Trigger.IMPORT, fetch),
            outcome=Outcome.APPLIED,
            now=current,
            feed=feed,
            added=len(plan.new),
            details=plan.details() | {"skipped_items": feed.skipped_items},
        )
        followups_enqueue(followups)
    logger.info(
        "Feed %s imported as show %s with %s episodes",
        source.pk,
        show.slug,
        len(plan.new),
    )
    return source


def _usable_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return bool(value) and not Show.objects.filter(guid=value).exists()
