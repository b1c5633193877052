"""Pages: home, show, episode, your shows, feed imports, errors. Views stay thin."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.static import serve

from ondas.accounts.models import User
from ondas.accounts.types import AuthedHttpRequest
from ondas.catalog.browse import browse_facets, show_list_browse
from ondas.catalog.selectors import (
    audiobook_get,
    audiobook_list,
    episode_get,
    episode_transcript_preferred,
    show_get,
    show_get_plain,
    show_list,
)
from ondas.core import clock
from ondas.feedkeys.selectors import private_feed_offered
from ondas.ingest.selectors import (
    feed_import_allowed,
    feed_import_get_for_user,
    feed_import_list_for_user,
)
from ondas.ingest.services.import_requests import feed_import_request
from ondas.library.errors import OPMLError
from ondas.library.opml import EXPORT_FILE_NAME, OPML_CONTENT_TYPE
from ondas.library.selectors import follow_export_opml, follow_page_for_user
from ondas.library.services import (
    OPMLImportResult,
    follow_import_opml,
    follow_show,
    unfollow_show,
)
from ondas.playback.access import book_access, episode_ids_locked
from ondas.search.selectors import search_hits_top, search_results
from ondas.web.forms import FeedImportForm, OPMLImportForm
from ondas.web.show_page import show_episodes

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
    show = show_get_plain(slug=show_slug)  # the categories are in the kept part
    # Exclusive episodes this person may not hear show the offer instead.
    episodes = show_episodes(
        show=show,
        page_number=request.GET.get("page"),
        user=request.user,
        now=clock.now(),
    )
    private_feed = private_feed_offered(
        user=request.user,
        exclusive_ids=episodes.exclusive_ids,
        locked_ids=episodes.locked_ids,
    )
    return render(
        request,
        "ondas/show_detail.html",
        {"show": show, "episodes": episodes, "private_feed_offered": private_feed},
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
            "transcript": episode_transcript_preferred(
                episode=episode, language=get_language()
            ),
        },
    )


@require_safe
def browse_view(request: HttpRequest) -> HttpResponse:
    category, language = (
        request.GET.get("category", ""),
        request.GET.get("language", ""),
    )
    return render(
        request,
        "ondas/browse.html",
        {
            "facets": browse_facets(),
            "category": category,
            "language": language,
            "shows": show_list_browse(category=category, language=language),
        },
    )


@require_safe
def search_view(request: HttpRequest) -> HttpResponse:
    results = search_results(
        query=request.GET.get("q", ""),
        user=request.user,
        now=clock.now(),
        page_number=request.GET.get("page", 1),
    )
    return render(request, "ondas/search.html", {"results": results})


@require_safe
def search_suggest_view(request: HttpRequest) -> JsonResponse:
    """The header box's results as you type: titles and context are escaped
    HTML with the matched words in <mark>."""
    hits = search_hits_top(
        query=request.GET.get("q", ""), user=request.user, now=clock.now()
    )
    return JsonResponse({"results": [dataclasses.asdict(hit) for hit in hits]})


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


# Following shows, and "Your shows" ----------------------------------------


def _back(request: HttpRequest, default: str) -> str:
    """The page the form was on, if it is on this site; else ``default``."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_POST
def show_follow_view(request: HttpRequest, show_slug: str) -> HttpResponse:
    show_url = reverse("web:show-detail", args=[show_slug])
    if not isinstance(request.user, User):
        return redirect_to_login(show_url)
    show = show_get(slug=show_slug)
    follow_show(user=request.user, show=show)
    messages.success(request, _("You follow “%(show)s”.") % {"show": show.title})
    return redirect(_back(request, show_url))


@require_POST
def show_unfollow_view(request: HttpRequest, show_slug: str) -> HttpResponse:
    show_url = reverse("web:show-detail", args=[show_slug])
    if not isinstance(request.user, User):
        return redirect_to_login(show_url)
    show = show_get(slug=show_slug)
    unfollow_show(user=request.user, show=show)
    messages.success(
        request, _("You no longer follow “%(show)s”.") % {"show": show.title}
    )
    return redirect(_back(request, show_url))


def _library(
    request: AuthedHttpRequest,
    *,
    form: OPMLImportForm | None = None,
    result: OPMLImportResult | None = None,
    error: OPMLError | None = None,
    status: int = 200,
) -> HttpResponse:
    page = follow_page_for_user(user=request.user, page_number=request.GET.get("page"))
    context = {
        "page": page,
        "form": form or OPMLImportForm(),
        "result": result,
        "error": error,
        "can_import_feeds": feed_import_allowed(user=request.user),
    }
    return render(request, "ondas/library.html", context, status=status)


@never_cache
@login_required
@require_safe
def library_view(request: AuthedHttpRequest) -> HttpResponse:
    return _library(request)


@never_cache
@login_required
@require_POST
def library_opml_import_view(request: AuthedHttpRequest) -> HttpResponse:
    form = OPMLImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _library(request, form=form, status=400)
    try:
        result = follow_import_opml(user=request.user, data=form.cleaned_data["opml"])
    except OPMLError as exc:
        return _library(request, error=exc, status=exc.http_status)
    return _library(request, result=result)


@never_cache
@login_required
@require_safe
def library_opml_export_view(request: AuthedHttpRequest) -> HttpResponse:
    base_url = request.build_absolute_uri("/")
    body = follow_export_opml(user=request.user, base_url=base_url)
    response = HttpResponse(body, content_type=OPML_CONTENT_TYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{EXPORT_FILE_NAME}"'
    )
    return response


# Importing a show from its feed (creators and staff) ----------------------


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def feed_import_view(request: AuthedHttpRequest) -> HttpResponse:
    # Raises FeedImportForbidden (403) for listeners.
    imports = feed_import_list_for_user(user=request.user)
    initial = {"url": request.GET.get("url", "")}
    form = FeedImportForm(request.POST or None, initial=initial)
    if form.is_valid():
        record = feed_import_request(
            url=form.cleaned_data["url"],
            owner_email=form.cleaned_data["owner_email"],
            acting_user=request.user,
            language=get_language(),
        )
        return redirect("web:feed-import-detail", import_id=record.pk)
    context = {"form": form, "imports": imports}
    status = 400 if form.errors else 200
    return render(request, "ondas/feed_import.html", context, status=status)


@never_cache
@login_required
@require_safe
def feed_import_detail_view(request: AuthedHttpRequest, import_id: int) -> HttpResponse:
    record = feed_import_get_for_user(user=request.user, import_id=import_id)
    return render(request, "ondas/feed_import_detail.html", {"record": record})


def not_found_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "ondas/error.html", {"status": 404}, status=404)


@require_safe
def privacy_view(request: HttpRequest) -> HttpResponse:
    return render(request, "ondas/privacy.html")
