"""The creator studio's reads, at ``/api/v1/studio/``: the caller's shows and
books with their role, a show's episodes as the studio lists them (drafts and
scheduled ones too), its numbers, and a book's parts. GET only: a read token
is enough.

The studio's rules decide, as for its pages: every show or book is found
through ``studio.selectors.membership_get_for_user`` with the role the
matching studio page needs (the episode list and a book's parts: editor; the
numbers: analyst). Without that role the answer is the studio's 404, the
same as for an id that does not exist, so nobody learns a show's drafts are
there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import conditional_page
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import field_validator

from ondas.analytics.selectors import show_downloads_daily, show_plays_daily
from ondas.api.auth import SiteSessionAuth, TokenAuth, signed_in
from ondas.api.catalog import PageQuery
from ondas.api.errors import ERROR_RESPONSES
from ondas.api.pagination import cursor_page
from ondas.api.studio_schemas import (
    DayNumbersOut,
    ShowNumbersOut,
    StudioBookOut,
    StudioBookPage,
    StudioEpisodeOut,
    StudioEpisodePage,
    StudioPartOut,
    StudioPartPage,
    StudioShowOut,
    StudioShowPage,
)
from ondas.catalog.models import Audiobook, Episode, Show
from ondas.core import clock
from ondas.studio.book_selectors import book_part_list
from ondas.studio.episode_selectors import episode_list_for_studio, episode_state
from ondas.studio.models import Role
from ondas.studio.selectors import (
    DashboardRow,
    dashboard_rows,
    membership_get_for_user,
    membership_list_for_user,
)

router = Router(tags=["studio"], auth=[TokenAuth(), SiteSessionAuth()])

# Kept by nobody but the caller, and asked again every time (a role taken
# away must show at once); the ETag of the body makes asking again cheap.
# (``no-store``, as the studio's pages send, would leave out the ETag.)
private_read = decorate_view(
    cache_control(private=True, no_cache=True), conditional_page
)
NUMBERS_RANGES = (7, 30, 90, 365)


class EpisodeQuery(PageQuery):
    state: Literal["draft", "scheduled", "published", "unpublished"] | None = None


class NumbersQuery(Schema):
    days: int = Field(
        30,
        description="The range: the last 7, 30, 90 or 365 days, today included.",
        json_schema_extra={"enum": list(NUMBERS_RANGES)},
    )

    @field_validator("days")
    @classmethod
    def _one_of_the_ranges(cls, days: int) -> int:
        if days not in NUMBERS_RANGES:
            raise ValueError(_("Choose 7, 30, 90 or 365 days."))
        return days


def _show(request: HttpRequest, show_id: int, role: str) -> Show:
    # Raises StudioNotFound (404) without ``role`` on the show.
    membership = membership_get_for_user(
        user=signed_in(request), show_id=show_id, at_least=role
    )
    assert membership.show is not None
    return membership.show


def _show_row(row: DashboardRow) -> StudioShowOut:
    show = row.target
    return StudioShowOut(
        id=show.pk,
        slug=show.slug,
        title=show.title,
        role=row.membership.role,
        episodes=row.items,
        drafts=row.drafts,
        scheduled=row.scheduled,
        follows_feed=row.follows_feed,
        url=reverse("web:show-detail", args=[show.slug]),
        studio_url=reverse("studio:show-edit", args=[show.pk]),
    )


def _book_row(row: DashboardRow) -> StudioBookOut:
    book = row.target
    return StudioBookOut(
        id=book.pk,
        slug=book.slug,
        title=book.title,
        role=row.membership.role,
        parts=row.items,
        url=reverse("web:audiobook-detail", args=[book.slug]),
        studio_url=reverse("studio:book-edit", args=[book.pk]),
    )


def _rows(
    request: HttpRequest, kind: str, page: PageQuery
) -> tuple[list[DashboardRow], str | None]:
    memberships, next_cursor = cursor_page(
        membership_list_for_user(user=signed_in(request), kind=kind),
        order=("title", "pk"),
        cursor=page.cursor,
        limit=page.limit,
    )
    return dashboard_rows(memberships=memberships, now=clock.now()), next_cursor


@router.get("/shows", response={200: StudioShowPage, **ERROR_RESPONSES})
@private_read
def studio_show_list_api(
    request: HttpRequest, page: Query[PageQuery]
) -> StudioShowPage:
    """The shows the caller has a role on, by title, with the role and the
    dashboard's counts."""
    rows, next_cursor = _rows(request, "show", page)
    return StudioShowPage(items=[_show_row(row) for row in rows], next=next_cursor)


def _episode(episode: Episode, *, state: str, studio_base: str) -> StudioEpisodeOut:
    return StudioEpisodeOut(
        id=episode.pk,
        slug=episode.slug,
        title=episode.title,
        state=state,
        published_at=None if state == "draft" else episode.published_at,
        kind=episode.kind,
        access=episode.access,
        duration_seconds=episode.duration_seconds,
        season=episode.season,
        number=episode.number,
        has_audio=episode.audio_id is not None,
        studio_url=f"{studio_base}{episode.pk}/",
    )


@router.get(
    "/shows/{show_id}/episodes", response={200: StudioEpisodePage, **ERROR_RESPONSES}
)
@private_read
def studio_episode_list_api(
    request: HttpRequest, show_id: int, page: Query[EpisodeQuery]
) -> StudioEpisodePage:
    """The show's episodes as the studio lists them (editors and owners):
    drafts, scheduled, published and unpublished ones (or those in
    ``state``), latest publication time first."""
    show, now = _show(request, show_id, Role.EDITOR), clock.now()
    episodes, next_cursor = cursor_page(
        episode_list_for_studio(show=show, now=now, state=page.state or ""),
        order=("-published_at", "-pk"),
        cursor=page.cursor,
        limit=page.limit,
    )
    base = reverse("studio:episode-list", args=[show.pk])
    items = [
        _episode(e, state=episode_state(episode=e, now=now), studio_base=base)
        for e in episodes
    ]
    return StudioEpisodePage(items=items, next=next_cursor)


@router.get(
    "/shows/{show_id}/numbers", response={200: ShowNumbersOut, **ERROR_RESPONSES}
)
@private_read
def studio_show_numbers_api(
    request: HttpRequest, show_id: int, query: Query[NumbersQuery]
) -> ShowNumbersOut:
    """The show's downloads and listeners per day over the last ``days``
    days (today included, in the operator's time zone), and their totals:
    the studio's numbers page's own roll-ups (owners, editors, analysts)."""
    show = _show(request, show_id, Role.ANALYST)
    until = timezone.localdate(clock.now())
    since = until - timedelta(days=query.days - 1)
    downloads = show_downloads_daily(show=show, since=since, until=until)
    plays = show_plays_daily(show=show, since=since, until=until)
    per_day = [
        DayNumbersOut(
            day=d.day,
            downloads=d.downloads,
            download_listeners=d.listeners,
            plays=p.plays,
            play_listeners=p.listeners,
        )
        for d, p in zip(downloads, plays, strict=True)
    ]
    return ShowNumbersOut(
        show_id=show.pk,
        days=query.days,
        since=since,
        until=until,
        downloads=sum(d.downloads for d in per_day),
        plays=sum(d.plays for d in per_day),
        busiest_day_listeners=max((d.download_listeners for d in per_day), default=0),
        per_day=per_day,
    )


@router.get("/audiobooks", response={200: StudioBookPage, **ERROR_RESPONSES})
@private_read
def studio_book_list_api(
    request: HttpRequest, page: Query[PageQuery]
) -> StudioBookPage:
    """The audiobooks the caller has a role on, by title, with the role and
    the number of parts."""
    rows, next_cursor = _rows(request, "book", page)
    return StudioBookPage(items=[_book_row(row) for row in rows], next=next_cursor)


def _book(request: HttpRequest, book_id: int) -> Audiobook:
    # Raises StudioNotFound (404) unless an editor or owner of the book.
    membership = membership_get_for_user(
        user=signed_in(request), audiobook_id=book_id, at_least=Role.EDITOR
    )
    assert membership.audiobook is not None
    return membership.audiobook


@router.get(
    "/audiobooks/{book_id}/parts", response={200: StudioPartPage, **ERROR_RESPONSES}
)
@private_read
def studio_book_parts_api(
    request: HttpRequest, book_id: int, page: Query[PageQuery]
) -> StudioPartPage:
    """The book's parts in order, as its studio page lists them (editors and
    owners)."""
    parts, next_cursor = cursor_page(
        book_part_list(book=_book(request, book_id)),
        order=("position", "pk"),
        cursor=page.cursor,
        limit=page.limit,
    )
    items = [
        StudioPartOut(
            id=part.pk,
            position=part.position,
            title=part.title,
            start_seconds=part.start_seconds,
            duration_seconds=part.duration_seconds,
            mime_type=part.audio.mime_type,
        )
        for part in parts
    ]
    return StudioPartPage(items=items, next=next_cursor)
