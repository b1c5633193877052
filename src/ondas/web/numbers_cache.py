"""The creator's numbers pages, computed and rendered once, then kept in
the cache as HTML.

A page's numbers are kept under a key made of everything they are made
from: the show (its id and creation time, so a reused id is another show),
its catalog content version (episode titles, dates and chapters), its
numbers version (``analytics.versions``: every roll-up write bumps it in
the write's own transaction), the range, the page, the active language
(dates, chart titles and table headings are written in it) and the day the
range ends.

So a page is never older than the last committed roll-up write: today's
partial day is fresh after each ingest batch and each listening batch, and
at midnight the key moves with the range. ``ONDAS_NUMBERS_CACHE_SECONDS``
bounds how long a copy is kept, for writes that bypass the roll-ups (a
hand edit in the admin); 0 turns the cache off.

What is kept is the rendered body of the page (its charts and tables),
not the numbers: with a year of days, rendering them cost more than
reading them (bench/numbers_page.py). The page around it (who is signed in,
the closed payout statements) is rendered on each request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ondas.analytics.versions import numbers_version_get
from ondas.catalog.models import Episode, Show
from ondas.web.numbers import RANGES, episode_numbers, show_numbers


def _key(show: Show, *parts: object) -> str:
    created = round(show.created_at.timestamp() * 1_000_000)
    version = numbers_version_get(show_id=show.pk)
    fields = [show.pk, created, show.content_version, version, get_language() or "-"]
    return ":".join(str(part) for part in ["ondas:web:numbers", *fields, *parts])


def _kept(show: Show, parts: tuple[object, ...], make: Callable[[], str]) -> SafeString:
    seconds = int(settings.ONDAS_NUMBERS_CACHE_SECONDS)
    if seconds <= 0:
        return mark_safe(make())  # noqa: S308 - our own template's output
    key = _key(show, *parts)
    html = cache.get(key)
    if not isinstance(html, str):
        html = make()
        cache.set(key, str(html), seconds)
    # Rendered by our own templates, which escape what they show.
    return mark_safe(html)  # noqa: S308


def show_numbers_body(*, show: Show, days: int, page: int, today: date) -> SafeString:
    """The show's numbers page body (``numbers.show_numbers``, rendered)."""

    def make() -> str:
        numbers = show_numbers(show=show, days=days, page=page, today=today)
        context = {"numbers": numbers, "show": show, "ranges": RANGES}
        return render_to_string("ondas/numbers/_show_numbers.html", context)

    return _kept(show, ("show", today.isoformat(), days, page), make)


def episode_numbers_body(
    *, show: Show, episode: Episode, days: int, today: date
) -> SafeString:
    """The episode's numbers page body (``numbers.episode_numbers``, rendered)."""

    def make() -> str:
        numbers = episode_numbers(episode=episode, days=days, today=today)
        context = {"numbers": numbers, "show": show, "ranges": RANGES}
        return render_to_string("ondas/numbers/_episode_numbers.html", context)

    return _kept(show, ("episode", episode.pk, today.isoformat(), days), make)
