"""Pages: home, show, episode, and error pages. Views stay thin."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.static import serve

from ondas.catalog.selectors import (
    audiobook_get,
    audiobook_list,
    episode_get,
    episode_page_for_show,
    show_get,
    show_list,
)
from ondas.core import clock
from ondas.playback.access import book_access, episode_ids_locked

# How many audiobooks the home page shows next to the shows.
HOME_BOOKS = 6


@require_safe
def home_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ondas/home.html",
        {"shows": show_list(), "books": audiobook_list()[:HOME_BOOKS]},
    )


@require_safe
def show_detail_view(request: HttpRequest, show_slug: str) -> HttpResponse:
    show = show_get(slug=show_slug)
    page = episode_page_for_show(show=show, page_number=request.GET.get("page"))
    # Exclusive episodes this person may not hear show the offer instead.
    locked = episode_ids_locked(user=request.user, episodes=page, now=clock.now())
    return render(
        request,
        "ondas/show_detail.html",
        {"show": show, "page": page, "locked_episode_ids": locked},
    )


@require_safe
def episode_detail_view(
    request: HttpRequest, show_slug: str, episode_slug: str
) -> HttpResponse:
    episode = episode_get(show_slug=show_slug, episode_slug=episode_slug)
    locked = episode_ids_locked(user=request.user, episodes=[episode], now=clock.now())
    return render(
        request,
        "ondas/episode_detail.html",
        {
            "show": episode.show,
            "episode": episode,
            "start_at": request.GET.get("t", ""),
            "locked_episode_ids": locked,
        },
    )


@require_safe
def audiobook_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "ondas/audiobook_list.html", {"books": audiobook_list()})


@require_safe
def audiobook_detail_view(request: HttpRequest, book_slug: str) -> HttpResponse:
    book = audiobook_get(slug=book_slug)
    # The whole book for people with hours left, the free sample for the rest.
    access = book_access(user=request.user, now=clock.now())
    return render(
        request,
        "ondas/audiobook_detail.html",
        {"book": book, "access": access, "start_at": request.GET.get("t", "")},
    )


@require_safe
def artwork_view(request: HttpRequest, path: str) -> HttpResponseBase:
    """Show artwork from media storage (nginx serves it directly in production).

    Only the artwork folder is reachable; ``serve`` refuses paths that climb out.
    """
    response = serve(
        request, path, document_root=str(Path(settings.MEDIA_ROOT) / "artwork")
    )
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def not_found_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "ondas/error.html", {"status": 404}, status=404)


def server_error_view(request: HttpRequest) -> HttpResponse:
    return render(request, "ondas/error.html", {"status": 500}, status=500)
