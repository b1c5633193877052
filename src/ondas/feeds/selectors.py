"""Reads for the feeds Ondas publishes. Selectors never write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.utils.timezone import now as timezone_now

from ondas.catalog.errors import EpisodeNotFound
from ondas.catalog.models import (
    Chapter,
    Episode,
    FeedPerson,
    FeedProfile,
    Show,
    ShowCategory,
)
from ondas.ingest.models import FeedSource

# Bump when the feed's markup changes, so every validator changes with it.
FEED_FORMAT_VERSION = "1"


@dataclass(frozen=True)
class FeedValidators:
    etag: str  # quoted, as it goes in the header
    last_modified: datetime


def show_feed_episodes(
    *, show: Show, now: datetime | None = None, include_exclusive: bool = False
) -> QuerySet[Episode]:
    """Free (or, for a private feed, all) published episodes with audio (local or
    the publisher's), newest first."""
    episodes = Episode.objects.filter(
        show=show, published_at__lte=now or timezone_now()
    )
    if not include_exclusive:
        episodes = episodes.filter(access=Episode.Access.FREE)
    return (
        episodes.filter(Q(audio__isnull=False) | Q(remote__isnull=False))
        .select_related("audio", "remote")
        .prefetch_related(
            Prefetch("chapters", queryset=Chapter.objects.order_by("start_seconds"))
        )
        .order_by("-published_at", "-pk")
    )


def show_feed_validators(
    *, show: Show, base_url: str, now: datetime | None = None
) -> FeedValidators:
    """ETag and Last-Modified of the show's public feed, from what it is made of.

    Everything the feed shows feeds the digest — the show, its episodes, their
    audio, chapters and publisher enclosures, its people, profile, categories
    and the site address — so a validator never outlives a change.
    """
    current = now or timezone_now()
    episodes = Episode.objects.filter(show=show).aggregate(
        count=Count("pk"),
        published=Count("pk", filter=Q(published_at__lte=current)),
        newest=Max("published_at", filter=Q(published_at__lte=current)),
        updated=Max("updated_at"),
        audio=Max("audio__updated_at"),
        remote=Max("remote__updated_at"),
    )
    chapters = Chapter.objects.filter(episode__show=show).aggregate(
        count=Count("pk"), ids=Sum("pk")
    )
    people = FeedPerson.objects.filter(show=show).aggregate(
        count=Count("pk"), ids=Sum("pk"), updated=Max("updated_at")
    )
    profile = FeedProfile.objects.filter(show=show).values_list("updated_at", flat=True)
    source = FeedSource.objects.filter(show=show).values_list("updated_at", flat=True)
    categories = list(
        ShowCategory.objects.filter(show=show)
        .order_by("position")
        .values_list("category_id", "position")
    )
    stamps = [
        show.updated_at,
        episodes["updated"],
        episodes["newest"],
        episodes["audio"],
        episodes["remote"],
        people["updated"],
        *profile,
        *source,
    ]
    last_modified = max(s for s in stamps if s is not None)
    parts = [
        FEED_FORMAT_VERSION,
        base_url,
        show.pk,
        *(s.isoformat() if s is not None else "-" for s in stamps),
        episodes["count"],
        episodes["published"],
        chapters["count"],
        chapters["ids"],
        people["count"],
        people["ids"],
        categories,
    ]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
    return FeedValidators(etag=f'"{digest}"', last_modified=last_modified)


def episode_get_public(
    *,
    show_slug: str,
    episode_slug: str,
    include_exclusive: bool = False,
    now: datetime | None = None,
) -> Episode:
    """A published free episode (or any published one, for a private feed) with its
    chapters; raise EpisodeNotFound for any other."""
    episodes = Episode.objects.filter(published_at__lte=now or timezone_now())
    if not include_exclusive:
        episodes = episodes.filter(access=Episode.Access.FREE)
    try:
        return (
            episodes.select_related("show")
            .prefetch_related(
                Prefetch("chapters", queryset=Chapter.objects.order_by("start_seconds"))
            )
            .get(show__slug=show_slug, slug=episode_slug)
        )
    except Episode.DoesNotExist:
        raise EpisodeNotFound(show_slug=show_slug, episode_slug=episode_slug) from None


def episode_chapters_validators(*, episode: Episode) -> FeedValidators:
    """ETag and Last-Modified of an episode's chapters file."""
    chapters = [
        (c.pk, c.start_seconds, c.title, c.url, c.image) for c in episode.chapters.all()
    ]
    digest = hashlib.sha256(
        repr([FEED_FORMAT_VERSION, episode.pk, chapters]).encode()
    ).hexdigest()[:40]
    return FeedValidators(etag=f'"{digest}"', last_modified=episode.updated_at)
