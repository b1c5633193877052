"""Reads for the feeds Ondas publishes. Selectors never write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from ondas.catalog.errors import EpisodeNotFound
from ondas.catalog.models import Chapter, Episode, Show
from ondas.catalog.selectors import ShowVersion, show_content_stamp
from ondas.core import clock

# Bump when the feed's markup changes, so every validator changes with it.
FEED_FORMAT_VERSION = "2"


@dataclass(frozen=True)
class FeedValidators:
    etag: str  # quoted, as it goes in the header
    last_modified: datetime
    key: str = ""  # the digest alone: names what is rendered for it


def show_feed_episodes(
    *, show: Show, now: datetime | None = None, include_exclusive: bool = False
) -> QuerySet[Episode]:
    """Free (or, for a private feed, all) listed episodes with audio (local or
    the publisher's), newest first."""
    episodes = Episode.objects.listed(now=now or clock.now()).filter(show=show)
    if not include_exclusive:
        episodes = episodes.filter(access=Episode.Access.FREE)
    return (
        episodes.filter(Q(audio__isnull=False) | Q(remote__isnull=False))
        .select_related("audio", "remote")
        .prefetch_related(
            Prefetch("chapters", queryset=Chapter.objects.order_by("start_seconds")),
            "transcripts",
        )
        .order_by("-published_at", "-pk")
    )


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr([FEED_FORMAT_VERSION, *parts]).encode()).hexdigest()[:40]


def show_feed_validators(
    *, show: Show | ShowVersion, base_url: str, now: datetime | None = None
) -> FeedValidators:
    """ETag and Last-Modified of the show's public feed, from its content stamp.

    The stamp changes with every write the feed shows (``catalog.versioning``)
    and when a scheduled episode comes out, so a validator never outlives a
    change; reading it costs no query over the episodes. The ETag is weak:
    the same one stands for the feed and its gzip-compressed copy.
    """
    stamp = show_content_stamp(show=show, now=now or clock.now())
    digest = _digest("public", base_url, stamp.key)
    return FeedValidators(
        etag=f'W/"{digest}"', last_modified=stamp.last_modified, key=digest
    )


def episode_get_public(
    *,
    show_slug: str,
    episode_slug: str,
    include_exclusive: bool = False,
    now: datetime | None = None,
) -> Episode:
    """A listed free episode (or any listed one, for a private feed) with its
    show; raise EpisodeNotFound for any other (drafts, scheduled, unpublished,
    deleted)."""
    episodes = Episode.objects.listed(now=now or clock.now())
    if not include_exclusive:
        episodes = episodes.filter(access=Episode.Access.FREE)
    try:
        # Chapters are read only when the file is sent (not for a 304).
        return episodes.select_related("show").get(
            show__slug=show_slug, show__importing=False, slug=episode_slug
        )
    except Episode.DoesNotExist:
        raise EpisodeNotFound(show_slug=show_slug, episode_slug=episode_slug) from None


def episode_chapters_validators(
    *, episode: Episode, now: datetime | None = None
) -> FeedValidators:
    """ETag and Last-Modified of an episode's chapters file, from its show's stamp
    (chapters bump the show's version like every other feed content)."""
    stamp = show_content_stamp(show=episode.show, now=now or clock.now())
    digest = _digest("chapters", episode.pk, stamp.key)
    return FeedValidators(
        etag=f'"{digest}"', last_modified=stamp.last_modified, key=digest
    )
