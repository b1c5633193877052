"""The studio's two busiest pages, rendered once and kept: the dashboard's
table of shows and books, and a page of one show's episode list.

Both are the same for every look until something they show changes, so the
rendered HTML is cached under what would change it:

- the episode list, under the show's content stamp
  (``catalog.selectors.show_content_stamp``: every write of the show or of
  one of its episodes bumps it, and a scheduled episode coming out changes
  it too), the language, the time zone, the state filter and the page;
- the dashboard, under the person's memberships (id and role), each show's
  content stamp, each book's title, address and number of parts, which shows
  follow their feed, and the language.

A change makes a new key, so a kept copy is never shown after it; old keys
just age out. Nothing per request goes in a kept copy: the dashboard's
"Leave" buttons post through one form outside it, which carries the CSRF
token (``formaction`` names the address of each).

On a miss the rows are worked out here, not by template tags per row, and
each kind of address is reversed once per table and filled in per row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Subquery
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.catalog.book_models import AudiobookPart
from ondas.catalog.models import Audiobook, Episode, Show
from ondas.catalog.selectors import ShowVersion, show_content_stamp
from ondas.ingest.models import FeedSource
from ondas.studio.episode_selectors import (
    STATE_LABELS,
    STATES,
    episode_counts,
    episode_list_for_studio,
    episode_state,
)
from ondas.studio.forms import ClaimFindForm
from ondas.studio.models import Membership, Role
from ondas.studio.selectors import DashboardRow, studio_dashboard

# Memory, not freshness: every change makes a new key at once.
CACHE_SECONDS = 24 * 60 * 60
PAGE_SIZE = 25
# Longer page parameters all mean "the first page" to the paginator anyway.
MAX_PAGE_PARAMETER = 9
_MARK = "987654321"


def _links(name: str, *args: str) -> Callable[[object], str]:
    """One ``reverse()`` for a whole table: the address of ``name`` with a
    placeholder as its last argument, filled in per row."""
    head, _mark, tail = reverse(name, args=[*args, _MARK]).rpartition(_MARK)
    return lambda value: f"{head}{value}{tail}"


def _digest(parts: Iterable[object]) -> str:
    return hashlib.sha256(repr(list(parts)).encode()).hexdigest()[:32]


def _page_key(page_number: str | None) -> str:
    if page_number and page_number.isdigit() and len(page_number) <= MAX_PAGE_PARAMETER:
        return str(int(page_number))
    return "1"  # missing or malformed: the first page


# The dashboard ---------------------------------------------------------------


@dataclass(frozen=True)
class _DashboardLine:
    kind: str  # "show" or "book"
    title: str
    public_url: str
    role: str
    role_label: str
    items: int
    drafts: int
    scheduled: int
    follows_feed: bool
    draft: bool  # a book listeners do not see yet
    edit_url: str  # "" for analysts
    episodes_url: str  # shows only, "" for analysts
    numbers_url: str  # shows only
    members_url: str  # owners only
    leave_url: str  # everyone but owners


def _dashboard_lines(rows: list[DashboardRow]) -> list[_DashboardLine]:
    show_page = _links("web:show-detail")
    book_page = _links("web:audiobook-detail")
    show_edit = _links("studio:show-edit")
    book_edit = _links("studio:book-edit")
    episodes = _links("studio:episode-list")
    numbers = _links("web:numbers-show")
    members = {kind: _links("studio:members", kind) for kind in ("shows", "books")}
    leave = {kind: _links("studio:leave", kind) for kind in ("shows", "books")}
    lines = []
    for row in rows:
        target, role = row.target, row.membership.role
        is_show = row.kind == "show"
        edits = role != Role.ANALYST
        lines.append(
            _DashboardLine(
                kind=row.kind,
                title=target.title,
                public_url=(show_page if is_show else book_page)(target.slug),
                role=role,
                role_label=row.membership.get_role_display(),
                items=row.items,
                drafts=row.drafts,
                scheduled=row.scheduled,
                follows_feed=row.follows_feed,
                draft=isinstance(target, Audiobook) and target.is_draft,
                edit_url=(show_edit if is_show else book_edit)(target.pk)
                if edits
                else "",
                episodes_url=episodes(target.pk) if is_show and edits else "",
                numbers_url=numbers(target.pk) if is_show else "",
                members_url=members[row.path_kind](target.pk)
                if role == Role.OWNER
                else "",
                leave_url=leave[row.path_kind](target.pk) if role != Role.OWNER else "",
            )
        )
    return lines


def _dashboard_key(*, user: User, now: datetime) -> str:
    """What the dashboard's table shows, as a key: one narrow query.

    It holds everything the table shows that a show's content stamp does not
    cover: the memberships and their roles, the books (their rows are not
    versioned: title, address, parts) and which shows follow their feed
    (stopping to follow bumps nothing).
    """
    follows = FeedSource.objects.filter(
        show_id=OuterRef("show_id"), detached_at__isnull=True
    )
    parts = (
        AudiobookPart.objects.filter(audiobook_id=OuterRef("audiobook_id"))
        .order_by()
        .values("audiobook_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Membership.objects.filter(user=user)
        .order_by("pk")
        .annotate(follows=Exists(follows), parts=Subquery(parts))
        .values_list(
            "pk",
            "role",
            "show_id",
            "show__created_at",
            "show__content_version",
            "show__content_changed_at",
            "show__next_publication_at",
            "audiobook_id",
            "audiobook__title",
            "audiobook__slug",
            "audiobook__status",
            "follows",
            "parts",
        )
    )
    key: list[object] = [get_language()]
    found: list[tuple[Any, ...]] = list(rows)
    for pk, role, show_id, created, version, changed, upcoming, *book in found:
        if show_id is None:
            key.append((pk, role, *book))
            continue
        show = ShowVersion(show_id, created, version, changed, upcoming)
        key.append((pk, role, show_content_stamp(show=show, now=now).key, book[-2]))
    return f"ondas:studio:dashboard:{user.pk}:{_digest(key)}"


def dashboard_table(*, user: User, now: datetime) -> SafeString:
    """The dashboard's table of this person's shows and books (or the line
    saying there are none), as HTML; one query when it is kept
    (``_dashboard_key``), the dashboard's own on a miss."""
    key = _dashboard_key(user=user, now=now)
    kept = cache.get(key)
    if isinstance(kept, str):
        return mark_safe(kept)  # noqa: S308 - rendered by our template below
    rows = studio_dashboard(user=user, now=now)
    html = render_to_string(
        "studio/_dashboard_table.html", {"lines": _dashboard_lines(rows)}
    )
    cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - our template escapes what it shows


def dashboard_create_section(*, can_create: bool) -> SafeString:
    """The dashboard's "Create a show" section with the empty claim form, as
    HTML: the same for everyone alike, so kept per language."""
    key = f"ondas:studio:dashboard-create:{get_language()}:{int(can_create)}"
    kept = cache.get(key)
    if isinstance(kept, str):
        return mark_safe(kept)  # noqa: S308 - rendered by our template below
    context = {"can_create": can_create, "claim_form": ClaimFindForm()}
    html = render_to_string("studio/_dashboard_create.html", context)
    cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - our template escapes what it shows


# The episode list ------------------------------------------------------------


@dataclass(frozen=True)
class _ListRow:
    pk: int
    title: str
    kind: str  # the kind's label, "" for a full episode
    state_label: str
    when: str
    access: str
    edit_url: str


def _list_rows(
    show: Show, episodes: Iterable[Episode], *, now: datetime
) -> list[_ListRow]:
    # One reverse for the page; each row's address is the list's plus its id
    # (the URL patterns nest them; tests/studio follow the links).
    base = reverse("studio:episode-list", args=[show.pk])
    comes_out = _("Comes out %(time)s")
    labels = {state: str(label) for state, label in STATE_LABELS.items()}
    rows = []
    for episode in episodes:
        state = episode_state(episode=episode, now=now)
        stamp = date_filter(episode.published_at, "Y-m-d H:i")
        if state == "scheduled":
            when = comes_out % {"time": stamp}
        elif state in ("published", "unpublished"):
            when = stamp
        else:
            when = "—"
        rows.append(
            _ListRow(
                pk=episode.pk,
                title=episode.title,
                kind=""
                if episode.kind == Episode.Kind.FULL
                else episode.get_kind_display(),
                state_label=labels.get(state, ""),
                when=when,
                access=episode.get_access_display(),
                edit_url=f"{base}{episode.pk}/",
            )
        )
    return rows


def _episode_list_render(
    show: Show, *, state: str, page_number: str, now: datetime
) -> str:
    counts = episode_counts(show=show, now=now)
    by_state = {
        "draft": counts.draft,
        "scheduled": counts.scheduled,
        "published": counts.published,
        "unpublished": counts.unpublished,
    }
    paginator = Paginator(
        episode_list_for_studio(show=show, now=now, state=state), PAGE_SIZE
    )
    # The counts just read say how many there are: no second COUNT query.
    paginator.count = by_state[state] if state else counts.total
    page = paginator.get_page(page_number)
    context = {
        "show": show,
        "page": page,
        "rows": _list_rows(show, page.object_list, now=now),
        "counts": counts,
        "state": state,
        "states": [(s, STATE_LABELS[s], by_state[s]) for s in STATES],
        "list_url": reverse("studio:episode-list", args=[show.pk]),
    }
    return render_to_string("studio/episodes/_list_table.html", context)


def episode_list_table(
    *, show: Show, state: str, page_number: str | None, now: datetime
) -> SafeString:
    """The counts by state, one page of the show's episodes (``state``: one
    of ``STATES`` or "" for all) and the pager, as HTML; no query when kept
    (one, an indexed look-up, once a scheduled episode is out and until the
    next write)."""
    state = state if state in STATES else ""
    page = _page_key(page_number)
    stamp = show_content_stamp(show=show, now=now).key
    key = (
        f"ondas:studio:episodes:{stamp}:{get_language()}:"
        f"{get_current_timezone_name()}:{state or '-'}:{page}"
    )
    kept = cache.get(key)
    if isinstance(kept, str):
        return mark_safe(kept)  # noqa: S308 - rendered by our template below
    html = _episode_list_render(show, state=state, page_number=page, now=now)
    cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - our template escapes what it shows
