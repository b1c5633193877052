"""The creator's numbers pages, computed once and kept in the cache.

A page's numbers are kept under a key made of everything they are made
from: the show (its id and creation time, so a reused id is another show),
its catalog content version (episode titles, dates and chapters), its
numbers version (``analytics.versions``: every roll-up write bumps it in
the write's own transaction), the range, the page, the active language
(dates and chart titles are written in it) and the day the range ends.

So a page is never older than the last committed roll-up write: today's
partial day is fresh after each ingest batch and each listening batch, and
at midnight the key moves with the range. ``ONDAS_NUMBERS_CACHE_SECONDS``
bounds how long a copy is kept, for writes that bypass the roll-ups (a
hand edit in the admin); 0 turns the cache off.

Closed payout statements are not kept here: the view reads them each time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from ondas.analytics.versions import numbers_version_get
from ondas.catalog.models import Episode, Show
from ondas.web.numbers import (
    EpisodeNumbersPage,
    ShowNumbers,
    episode_numbers,
    show_numbers,
)


def _key(show: Show, *parts: object) -> str:
    created = round(show.created_at.timestamp() * 1_000_000)
    version = numbers_version_get(show_id=show.pk)
    fields = [show.pk, created, show.content_version, version, get_language() or "-"]
    return ":".join(str(part) for part in ["ondas:web:numbers", *fields, *parts])


def _seconds() -> int:
    return int(settings.ONDAS_NUMBERS_CACHE_SECONDS)


def show_numbers_cached(
    *, show: Show, days: int, page: int, today: date
) -> ShowNumbers:
    """``numbers.show_numbers``, from the cache when it holds this version."""
    if _seconds() <= 0:
        return show_numbers(show=show, days=days, page=page, today=today)
    key = _key(show, "show", today.isoformat(), days, page)
    kept = cache.get(key)
    if isinstance(kept, ShowNumbers):
        return replace(kept, show=show)
    numbers = show_numbers(show=show, days=days, page=page, today=today)
    cache.set(key, numbers, _seconds())
    return numbers


def episode_numbers_cached(
    *, show: Show, episode: Episode, days: int, today: date
) -> EpisodeNumbersPage:
    """``numbers.episode_numbers``, from the cache when it holds this version."""
    if _seconds() <= 0:
        return episode_numbers(episode=episode, days=days, today=today)
    key = _key(show, "episode", episode.pk, today.isoformat(), days)
    kept = cache.get(key)
    if isinstance(kept, EpisodeNumbersPage):
        return replace(kept, episode=episode)
    numbers = episode_numbers(episode=episode, days=days, today=today)
    cache.set(key, numbers, _seconds())
    return numbers
