"""The catalog's reads: shows, their episodes, audiobooks and their chapters.

Public, like the site's pages; a token or a session only changes what an
exclusive episode shows (its transcripts, for who may hear it).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import conditional_page
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view

from ondas.api.auth import caller
from ondas.api.conditional import kept_answer, not_modified, show_etag
from ondas.api.errors import ERROR_RESPONSES
from ondas.api.pagination import MAX_LIMIT, cursor_page
from ondas.api.schemas import (
    AudiobookOut,
    AudiobookPage,
    BookChapterOut,
    BookChapterPage,
    ChapterOut,
    EpisodeDetail,
    EpisodeOut,
    EpisodePage,
    ShowOut,
    ShowPage,
    TranscriptOut,
)
from ondas.catalog.models import Audiobook, Episode, Show, Transcript
from ondas.catalog.selectors import (
    audiobook_get,
    audiobook_list,
    episode_get,
    episode_list_for_show,
    episode_order_for_show,
    show_get,
    show_list,
)
from ondas.core import clock
from ondas.playback.access import episode_ids_locked, may_play

router = Router(tags=["catalog"])


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


def _show(show: Show) -> ShowOut:
    return ShowOut(
        slug=show.slug,
        title=show.title,
        author=show.author,
        description=show.description,
        language=show.language,
        explicit=show.explicit,
        kind=show.kind,
        categories=[category.name for category in show.categories.all()],
        episode_count=getattr(show, "episode_count", None),
        url=reverse("web:show-detail", args=[show.slug]),
    )


def _episode_fields(episode: Episode, *, locked: bool) -> dict[str, object]:
    return {
        "id": episode.pk,
        "slug": episode.slug,
        "title": episode.title,
        "description": episode.description,
        "published_at": episode.published_at,
        "duration_seconds": episode.duration_seconds,
        "season": episode.season,
        "number": episode.number,
        "kind": episode.kind,
        "access": episode.access,
        "locked": locked,
        "audio_url": (
            reverse("playback:audio", args=[episode.audio_id])
            if episode.audio_id
            else None
        ),
        "url": reverse("web:episode-detail", args=[episode.show.slug, episode.slug]),
    }


def _transcript(transcript: Transcript) -> TranscriptOut:
    stored = bool(transcript.file)
    url = (
        reverse("playback:transcript", args=[transcript.pk])
        if stored
        else transcript.url
    )
    return TranscriptOut(
        language=transcript.language, mime_type=transcript.mime_type, url=url
    )


def _book(book: Audiobook) -> AudiobookOut:
    return AudiobookOut(
        slug=book.slug,
        title=book.title,
        authors=book.authors,
        narrators=book.narrators,
        publisher=book.publisher,
        description=book.description,
        language=book.language,
        duration_seconds=book.duration_seconds,
        sample_seconds=book.sample_seconds,
        url=reverse("web:audiobook-detail", args=[book.slug]),
    )


@router.get("/shows", response={200: ShowPage, **ERROR_RESPONSES})
@decorate_view(conditional_page)
def show_list_api(request: HttpRequest, page: Query[PageQuery]) -> ShowPage:
    """Every listed show, by title."""
    caller(request)  # a token sent is checked, even for a public read
    shows, next_cursor = cursor_page(
        show_list(), order=("title", "pk"), cursor=page.cursor, limit=page.limit
    )
    return ShowPage(items=[_show(show) for show in shows], next=next_cursor)


@router.get("/shows/{slug}", response={200: ShowOut, 304: None, **ERROR_RESPONSES})
def show_get_api(
    request: HttpRequest, slug: str, response: HttpResponse
) -> ShowOut | HttpResponse:
    """One show."""
    caller(request)  # a token sent is checked, even for a public read
    etag = show_etag(request, slug=slug, rights="-")
    if (answer := not_modified(request, etag)) is not None:
        return answer
    response["ETag"] = etag
    return _show(show_get(slug=slug))


def _rights(request: HttpRequest) -> str:
    hears = may_play(
        user=caller(request), access=Episode.Access.EXCLUSIVE, now=clock.now()
    )
    return "x" if hears else "f"


@router.get(
    "/shows/{slug}/episodes",
    response={200: EpisodePage, 304: None, **ERROR_RESPONSES},
)
def episode_list_api(
    request: HttpRequest, slug: str, page: Query[PageQuery]
) -> HttpResponse:
    """The show's listed episodes, in the show's order; ``locked`` says which
    the caller may not play."""
    etag = show_etag(request, slug=slug, rights=_rights(request))
    if (answer := not_modified(request, etag)) is not None:
        return answer

    def build() -> EpisodePage:
        show = show_get(slug=slug)
        episodes, next_cursor = cursor_page(
            episode_list_for_show(show=show),
            order=episode_order_for_show(show),
            cursor=page.cursor,
            limit=page.limit,
        )
        locked = episode_ids_locked(
            user=caller(request), episodes=episodes, now=clock.now()
        )
        return EpisodePage(
            items=[
                EpisodeOut(**_episode_fields(e, locked=e.pk in locked))  # type: ignore[arg-type]
                for e in episodes
            ],
            next=next_cursor,
        )

    # The tag names the show's content, the caller's rights and the page:
    # an answer kept under it is the one ``build`` would give (the list's
    # cost was most of the request: bench/api_list.py).
    return kept_answer(request, etag=etag, build=build)


@router.get(
    "/shows/{slug}/episodes/{episode_slug}",
    response={200: EpisodeDetail, 304: None, **ERROR_RESPONSES},
)
def episode_get_api(
    request: HttpRequest, slug: str, episode_slug: str, response: HttpResponse
) -> EpisodeDetail | HttpResponse:
    """One episode with its chapters, and its transcripts when the caller may
    hear it (an exclusive episode's are hidden otherwise)."""
    etag = show_etag(request, slug=slug, rights=_rights(request))
    if (answer := not_modified(request, etag)) is not None:
        return answer
    response["ETag"] = etag
    episode = episode_get(show_slug=slug, episode_slug=episode_slug)
    now = clock.now()
    hears = may_play(user=caller(request), access=episode.access, now=now)
    return EpisodeDetail(
        **_episode_fields(episode, locked=not hears),  # type: ignore[arg-type]
        chapters=[
            ChapterOut(start_seconds=c.start_seconds, title=c.title, url=c.url)
            for c in episode.chapters.all()
        ],
        transcripts=(
            [_transcript(t) for t in episode.transcripts.all()] if hears else []
        ),
        transcripts_hidden=not hears,
    )


@router.get("/audiobooks", response={200: AudiobookPage, **ERROR_RESPONSES})
@decorate_view(conditional_page)
def audiobook_list_api(request: HttpRequest, page: Query[PageQuery]) -> AudiobookPage:
    """Every audiobook, by title."""
    caller(request)  # a token sent is checked, even for a public read
    books, next_cursor = cursor_page(
        audiobook_list(), order=("title", "pk"), cursor=page.cursor, limit=page.limit
    )
    return AudiobookPage(items=[_book(book) for book in books], next=next_cursor)


@router.get("/audiobooks/{slug}", response={200: AudiobookOut, **ERROR_RESPONSES})
@decorate_view(conditional_page)
def audiobook_get_api(request: HttpRequest, slug: str) -> AudiobookOut:
    """One audiobook."""
    caller(request)  # a token sent is checked, even for a public read
    return _book(audiobook_get(slug=slug))


@router.get(
    "/audiobooks/{slug}/chapters", response={200: BookChapterPage, **ERROR_RESPONSES}
)
@decorate_view(conditional_page)
def audiobook_chapters_api(
    request: HttpRequest, slug: str, page: Query[PageQuery]
) -> BookChapterPage:
    """The book's chapters, in order, on the book's whole timeline."""
    caller(request)  # a token sent is checked, even for a public read
    book = audiobook_get(slug=slug)
    chapters, next_cursor = cursor_page(
        book.chapters.all(),
        order=("start_seconds", "pk"),
        cursor=page.cursor,
        limit=page.limit,
    )
    return BookChapterPage(
        items=[
            BookChapterOut(start_seconds=c.start_seconds, title=c.title)
            for c in chapters
        ],
        next=next_cursor,
    )
