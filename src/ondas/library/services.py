"""A listener's library: following and unfollowing shows, and importing OPML."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.timezone import now as timezone_now

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.ingest.selectors import show_match_feed_urls
from ondas.library.models import EpisodeAction, Follow, SubscriptionEvent, SyncDevice
from ondas.library.opml import OPMLFeed, opml_parse
from ondas.library.sync import subscription_event_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OPMLImportResult:
    followed: list[Show] = field(default_factory=list)  # followed now
    already: list[Show] = field(default_factory=list)  # followed before
    unmatched: list[OPMLFeed] = field(default_factory=list)  # not in this catalog


def follow_show(*, user: User, show: Show, now: datetime | None = None) -> Follow:
    """Follow the show; following it again changes nothing.

    A new follow is noted for the person's syncing podcast apps (``sync``).
    """
    now = now or timezone_now()
    with transaction.atomic():
        follow, created = Follow.objects.get_or_create(
            user=user, show=show, defaults={"created_at": now}
        )
        if created:
            subscription_event_record(
                user=user, show_id=show.pk, action=SubscriptionEvent.Action.ADD, now=now
            )
    return follow


def unfollow_show(*, user: User, show: Show, now: datetime | None = None) -> bool:
    """Stop following the show; return whether the person followed it."""
    with transaction.atomic():
        deleted, _per_model = Follow.objects.filter(user=user, show=show).delete()
        if deleted:
            subscription_event_record(
                user=user,
                show_id=show.pk,
                action=SubscriptionEvent.Action.REMOVE,
                now=now or timezone_now(),
            )
    return deleted > 0


def follow_delete_for_user(*, user: User) -> int:
    """Forget every show the person follows (their account is being deleted),
    and what their podcast apps synced."""
    for model in (EpisodeAction, SubscriptionEvent, SyncDevice):
        model.objects.filter(user=user).delete()
    deleted, _per_model = Follow.objects.filter(user=user).delete()
    if deleted:
        logger.info("Removed %s follows of user %s", deleted, user.pk)
    return deleted


def follow_import_opml(
    *, user: User, data: bytes, now: datetime | None = None
) -> OPMLImportResult:
    """Follow every show of this catalog that the OPML file lists.

    The file is read in full before anything changes, and the follows are
    written in one transaction: a file Ondas refuses changes nothing. Feeds
    that are not in the catalog are returned, not added.
    """
    feeds = opml_parse(data)
    matches = show_match_feed_urls(urls=[f.xml_url for f in feeds])
    shows: dict[int, Show] = {}
    unmatched: list[OPMLFeed] = []
    for feed in feeds:
        show = matches.get(feed.xml_url)
        if show is None:
            unmatched.append(feed)
        else:
            shows.setdefault(show.pk, show)
    stamp = now or timezone_now()
    with transaction.atomic(durable=True):
        before = set(
            Follow.objects.filter(user=user, show_id__in=list(shows)).values_list(
                "show_id", flat=True
            )
        )
        Follow.objects.bulk_create(
            [
                Follow(user=user, show=show, created_at=stamp)
                for pk, show in shows.items()
                if pk not in before
            ],
            ignore_conflicts=True,
        )
        SubscriptionEvent.objects.bulk_create(
            [
                SubscriptionEvent(
                    user=user, show=show, action=SubscriptionEvent.Action.ADD, at=stamp
                )
                for pk, show in shows.items()
                if pk not in before
            ]
        )
    logger.info(
        "OPML import for user %s: %s feeds, %s followed, %s already, %s unmatched",
        user.pk,
        len(feeds),
        len(shows) - len(before),
        len(before),
        len(unmatched),
    )
    return OPMLImportResult(
        followed=[s for pk, s in shows.items() if pk not in before],
        already=[s for pk, s in shows.items() if pk in before],
        unmatched=unmatched,
    )
