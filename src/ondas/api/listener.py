"""The listener's own: follows, places and bookmarks, the subscription and
the book hours left, and private feeds. A token or a session is needed; a
write needs a write token (or the session with its CSRF token)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from django.views.decorators.http import conditional_page
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.responses import Status

from ondas.api.auth import SiteSessionAuth, TokenAuth, signed_in
from ondas.api.catalog import PageQuery, _show
from ondas.api.errors import ERROR_RESPONSES
from ondas.api.pagination import cursor_page
from ondas.api.schemas import (
    BookmarkOutItem,
    BookmarkPage,
    PrivateFeedOut,
    PrivateFeedPage,
    ShowOut,
    ShowPage,
    SubscriptionOut,
)
from ondas.billing.selectors import listening_rights, subscription_overview
from ondas.catalog.selectors import audiobook_get_by_id, show_get
from ondas.core import clock
from ondas.feedkeys.selectors import private_feed_overview
from ondas.feedkeys.services import feed_key_create, feed_key_regenerate
from ondas.library.selectors import follow_list_shows
from ondas.library.services import follow_show, unfollow_show
from ondas.playback.access import progress_item_length
from ondas.playback.schemas import BookmarkIn, ProgressIn, ProgressOut, ProgressSaved
from ondas.playback.selectors import allowance_get, bookmark_list, progress_get
from ondas.playback.services import bookmark_create, bookmark_delete, progress_save

router = Router(tags=["listener"], auth=[TokenAuth(), SiteSessionAuth()])


class FollowIn(Schema):
    show: str = Field(..., min_length=1, max_length=120)


@router.get("/follows", response={200: ShowPage, **ERROR_RESPONSES})
@decorate_view(conditional_page)
def follow_list_api(request: HttpRequest, page: Query[PageQuery]) -> ShowPage:
    """The shows the caller follows, by title."""
    shows, next_cursor = cursor_page(
        follow_list_shows(user=signed_in(request)),
        order=("title", "pk"),
        cursor=page.cursor,
        limit=page.limit,
    )
    return ShowPage(items=[_show(show) for show in shows], next=next_cursor)


@router.post("/follows", response={201: ShowOut, **ERROR_RESPONSES})
def follow_api(request: HttpRequest, body: FollowIn) -> Status[ShowOut]:
    """Follow a show (by its slug); following it again changes nothing."""
    show = show_get(slug=body.show)
    follow_show(user=signed_in(request), show=show, now=clock.now())
    return Status(201, _show(show))


@router.delete("/follows/{slug}", response={204: None, **ERROR_RESPONSES})
def unfollow_api(request: HttpRequest, slug: str) -> Status[None]:
    """Stop following a show."""
    unfollow_show(user=signed_in(request), show=show_get(slug=slug))
    return Status(204, None)


Kind = Literal["episode", "audiobook"]


@router.get(
    "/progress/{kind}/{item_id}", response={200: ProgressOut, **ERROR_RESPONSES}
)
def progress_get_api(request: HttpRequest, kind: Kind, item_id: int) -> ProgressOut:
    """The caller's place in an episode or a book (nulls: none kept yet)."""
    user = signed_in(request)
    progress_item_length(user=user, kind=kind, item_id=item_id, now=clock.now())
    found = progress_get(user=user, kind=kind, item_id=item_id)
    return ProgressOut(
        position_seconds=found.position_seconds if found else None,
        played_at=found.played_at if found else None,
        device=found.device if found else "",
    )


@router.put(
    "/progress/{kind}/{item_id}", response={200: ProgressSaved, **ERROR_RESPONSES}
)
def progress_put_api(
    request: HttpRequest, kind: Kind, item_id: int, body: ProgressIn
) -> ProgressSaved:
    """Move the caller's place; an older report than the kept one is not applied."""
    user, now = signed_in(request), clock.now()
    length = progress_item_length(user=user, kind=kind, item_id=item_id, now=now)
    data = ProgressIn.model_validate(
        body.model_dump(), context={"max_position": length + 1}
    )
    progress, applied = progress_save(
        user=user,
        kind=kind,
        item_id=item_id,
        position_seconds=data.position_seconds,
        played_at=data.played_at or now,
        device=data.device,
        now=now,
    )
    return ProgressSaved(
        position_seconds=progress.position_seconds,
        played_at=progress.played_at,
        device=progress.device,
        applied=applied,
    )


def _bookmark(bookmark: object) -> BookmarkOutItem:
    return BookmarkOutItem.model_validate(bookmark, from_attributes=True)


@router.get(
    "/audiobooks/{audiobook_id}/bookmarks",
    response={200: BookmarkPage, **ERROR_RESPONSES},
)
def bookmark_list_api(
    request: HttpRequest, audiobook_id: int, page: Query[PageQuery]
) -> BookmarkPage:
    """The caller's bookmarks in a book, by position."""
    book = audiobook_get_by_id(audiobook_id=audiobook_id)
    bookmarks, next_cursor = cursor_page(
        bookmark_list(user=signed_in(request), audiobook=book),
        order=("position_seconds", "pk"),
        cursor=page.cursor,
        limit=page.limit,
    )
    return BookmarkPage(items=[_bookmark(b) for b in bookmarks], next=next_cursor)


@router.post(
    "/audiobooks/{audiobook_id}/bookmarks",
    response={201: BookmarkOutItem, **ERROR_RESPONSES},
)
def bookmark_create_api(
    request: HttpRequest, audiobook_id: int, body: BookmarkIn
) -> Status[BookmarkOutItem]:
    """Add a bookmark (``{position_seconds, note}``)."""
    book = audiobook_get_by_id(audiobook_id=audiobook_id)
    data = BookmarkIn.model_validate(
        body.model_dump(), context={"max_position": book.duration_seconds}
    )
    bookmark = bookmark_create(
        user=signed_in(request),
        audiobook=book,
        position_seconds=data.position_seconds,
        note=data.note,
        now=clock.now(),
    )
    return Status(201, _bookmark(bookmark))


@router.delete("/bookmarks/{bookmark_id}", response={204: None, **ERROR_RESPONSES})
def bookmark_delete_api(request: HttpRequest, bookmark_id: int) -> Status[None]:
    """Delete one of the caller's bookmarks; anyone else's stays."""
    bookmark_delete(user=signed_in(request), bookmark_id=bookmark_id)
    return Status(204, None)


@router.get("/subscription", response={200: SubscriptionOut, **ERROR_RESPONSES})
def subscription_api(request: HttpRequest) -> SubscriptionOut:
    """The caller's subscription now, and the audiobook time left this period."""
    user, now = signed_in(request), clock.now()
    overview = subscription_overview(user=user, now=now)
    allowance = allowance_get(user=user, now=now)
    return SubscriptionOut(
        state=str(overview.state) if overview else None,
        plan=overview.subscription.plan.slug if overview else None,
        ends_at=overview.ends_at if overview else None,
        next_charge_at=overview.next_charge_at if overview else None,
        exclusive=listening_rights(user=user, now=now).exclusive,
        audiobook_seconds_total=allowance.total_seconds,
        audiobook_seconds_used=allowance.used_seconds,
        audiobook_seconds_left=allowance.left_seconds,
        allowance_renews_at=allowance.renews_at,
    )


def _feeds(request: HttpRequest) -> PrivateFeedPage:
    overview = private_feed_overview(user=signed_in(request), now=clock.now())
    items = []
    for row in overview.rows:
        url = None
        if row.token:  # none yet, or made under another SECRET_KEY
            path = reverse("feeds:private-feed", args=[row.token, row.show.slug])
            url = request.build_absolute_uri(path)
        items.append(PrivateFeedOut(show=row.show.slug, title=row.show.title, url=url))
    return PrivateFeedPage(entitled=overview.entitled, items=items, next=None)


@router.get("/private-feeds", response={200: PrivateFeedPage, **ERROR_RESPONSES})
def private_feed_list_api(request: HttpRequest) -> PrivateFeedPage:
    """The caller's private feeds (and the shows they may make one of): one
    page always, a person has few."""
    return _feeds(request)


@router.post(
    "/private-feeds/{slug}", response={201: PrivateFeedPage, **ERROR_RESPONSES}
)
def private_feed_create_api(request: HttpRequest, slug: str) -> Status[PrivateFeedPage]:
    """Make the caller's private feed of a show (the plan must include it)."""
    feed_key_create(user=signed_in(request), show=show_get(slug=slug), now=clock.now())
    return Status(201, _feeds(request))


@router.post(
    "/private-feeds/{slug}/rotate", response={200: PrivateFeedPage, **ERROR_RESPONSES}
)
def private_feed_rotate_api(request: HttpRequest, slug: str) -> PrivateFeedPage:
    """Give the caller's private feed of a show a new address; the old one stops."""
    feed_key_regenerate(
        user=signed_in(request), show=show_get(slug=slug), now=clock.now()
    )
    return _feeds(request)
