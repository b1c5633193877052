"""The episode list of a show page, rendered once and kept.

With the hero's facts (title, categories, count) and the about section, the
list is the same for everyone who sees the same locks: it is cached under
the show's content stamp (``catalog.selectors.show_content_stamp``, which
changes with every write a feed or a page shows and when a scheduled episode
comes out), the language, the page asked for and whether exclusive episodes
are locked. A change makes a new key, so a kept copy is never shown after
it. What differs per visitor — the follow button, whether exclusive episodes
are locked to them, the private feed link — is decided outside it, with one
question to billing at most.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.catalog.selectors import episode_page_for_show, show_content_stamp
from ondas.playback.access import may_play

CACHE_SECONDS = 24 * 60 * 60
# Longer page parameters all mean "the first page" to the paginator anyway.
MAX_PAGE_PARAMETER = 9


@dataclass(frozen=True)
class ShowEpisodes:
    """A rendered page of a show's episodes and what the rest of the page needs."""

    html: SafeString  # the about section and the list of episodes
    artwork: SafeString  # the hero's picture
    facts: SafeString  # the hero's title, author, language, categories, count
    exclusive_ids: frozenset[int]  # the exclusive episodes the page lists
    locked: bool = False  # those are locked to this visitor (never cached so)

    @property
    def locked_ids(self) -> frozenset[int]:
        return self.exclusive_ids if self.locked else frozenset()


def _page_key(page_number: str | None) -> str:
    if page_number is None:
        return "-"
    if page_number.isdigit() and len(page_number) <= MAX_PAGE_PARAMETER:
        return str(int(page_number))
    return "?"  # malformed: the first page


def _render(
    show: Show, page_number: str | None, *, locked: bool, now: datetime
) -> ShowEpisodes:
    page = episode_page_for_show(
        show=show,
        page_number=None if _page_key(page_number) == "?" else page_number,
        now=now,
    )
    exclusive = frozenset(e.pk for e in page if e.is_exclusive)
    context = {
        "show": show,
        "page": page,
        "locked_episode_ids": exclusive if locked else frozenset(),
        "size": "hero",
    }
    # Rendered by our own templates, which escape what they show.
    return ShowEpisodes(
        html=mark_safe(render_to_string("ondas/_show_episodes.html", context)),  # noqa: S308
        artwork=mark_safe(render_to_string("ondas/_artwork.html", context)),  # noqa: S308
        facts=mark_safe(render_to_string("ondas/_show_facts.html", context)),  # noqa: S308
        exclusive_ids=exclusive,
    )


def show_episodes(
    *,
    show: Show,
    page_number: str | None,
    user: User | AnonymousUser,
    now: datetime,
) -> ShowEpisodes:
    """The episode list of ``show`` at ``page_number`` as ``user`` sees it now."""
    stamp = show_content_stamp(show=show, now=now)
    base = (
        f"ondas:web:show-episodes:{stamp.key}:{get_language()}:{_page_key(page_number)}"
    )
    # First as seen with the locks off: it says whether the page has
    # exclusive episodes at all (most pages of most shows have none).
    open_copy = cache.get(f"{base}:open")
    if not isinstance(open_copy, ShowEpisodes):
        open_copy = _render(show, page_number, locked=False, now=now)
        cache.set(f"{base}:open", open_copy, CACHE_SECONDS)
    if not open_copy.exclusive_ids:
        return open_copy
    # One question to billing: may this person hear exclusive episodes now?
    if may_play(user=user, access=Episode.Access.EXCLUSIVE, now=now):
        return open_copy
    locked_copy = cache.get(f"{base}:locked")
    if not isinstance(locked_copy, ShowEpisodes):
        locked_copy = _render(show, page_number, locked=True, now=now)
        cache.set(f"{base}:locked", locked_copy, CACHE_SECONDS)
    return replace(locked_copy, locked=True)
