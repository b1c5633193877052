"""Reads of a listener's library: the shows they follow, and its OPML export.
Selectors never write."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.catalog.selectors import show_list, show_list_visible
from ondas.library.models import Follow
from ondas.library.opml import OPMLFeed, opml_render


def follow_exists(*, user: User, show: Show) -> bool:
    """Whether the person follows the show."""
    return Follow.objects.filter(user=user, show=show).exists()


def _followed_show_ids(user: User) -> QuerySet[Follow, int]:
    return Follow.objects.filter(user=user).values_list("show_id", flat=True)


def follow_page_for_user(*, user: User, page_number: str | int | None) -> Page[Show]:
    """One page of the shows the person follows, by title, with episode counts."""
    shows = show_list().filter(pk__in=_followed_show_ids(user))
    paginator = Paginator(shows, settings.ONDAS_FOLLOWS_PER_PAGE)
    return paginator.get_page(page_number)


def follow_list_shows(*, user: User) -> QuerySet[Show]:
    """Every show the person follows, by title (for the OPML export)."""
    return (
        show_list_visible()
        .filter(pk__in=_followed_show_ids(user))
        .order_by("title", "pk")
    )


def follow_export_opml(
    *, user: User, base_url: str, now: datetime | None = None
) -> bytes:
    """The shows the person follows as OPML: public feed and page URLs."""
    base = base_url.rstrip("/")
    feeds = [
        OPMLFeed(
            xml_url=base + reverse("feeds:show-feed", args=[show.slug]),
            title=show.title,
            html_url=base + reverse("web:show-detail", args=[show.slug]),
        )
        for show in follow_list_shows(user=user)
    ]
    return opml_render(
        feeds=feeds,
        title=_("Shows followed on Ondas"),
        now=now or timezone_now(),
    )


def follow_count_for_episode(episode: Episode) -> int:
    """How many people follow the episode's show."""
    return Follow.objects.filter(show_id=episode.show_id).count()


def follow_list_for_export(*, user: User) -> list[dict[str, object]]:
    """The shows this person follows, for their data export."""
    rows = Follow.objects.filter(user=user).select_related("show").order_by("pk")
    return [
        {"show": f.show.title, "show_slug": f.show.slug, "followed_since": f.created_at}
        for f in rows
    ]
