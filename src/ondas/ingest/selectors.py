"""Reads of ingest: feed sources, their refreshes, imports, and which shows a
feed address stands for. Selectors never write."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.db.models.functions import Coalesce, Lower
from django.http.request import validate_host
from django.urls import Resolver404, resolve
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.catalog.selectors import show_list_visible
from ondas.core import clock
from ondas.ingest.errors import (
    FeedImportForbidden,
    FeedImportNotFound,
    FeedSourceNotFound,
)
from ondas.ingest.models import FeedImport, FeedRefresh, FeedSource, RemoteEpisode


def feed_source_get(*, source_id: int) -> FeedSource:
    """Return the feed source; raise FeedSourceNotFound."""
    try:
        return FeedSource.objects.select_related("show").get(pk=source_id)
    except FeedSource.DoesNotExist:
        raise FeedSourceNotFound(source_id=source_id) from None


def feed_refresh_list(*, source: FeedSource, limit: int = 50) -> QuerySet[FeedRefresh]:
    """The source's latest audit rows, newest first."""
    return FeedRefresh.objects.filter(source=source).order_by("-started_at", "-pk")[
        :limit
    ]


def feed_source_list_due(*, now: datetime | None = None) -> QuerySet[FeedSource]:
    """Enabled sources whose next refresh time has come."""
    return FeedSource.objects.filter(
        enabled=True, next_refresh_at__lte=now or timezone_now()
    ).order_by("next_refresh_at")


# Matching feed addresses to shows ----------------------------------------


def feed_url_key(url: str) -> str:
    """What two addresses of one feed have in common.

    The scheme, a default port, the case of the host, a trailing slash and a
    fragment do not tell feeds apart: ``HTTP://Example.com:80/feed/`` and
    ``https://example.com/feed`` give the same key. The path and query do.
    """
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{netloc}{parts.path.rstrip('/')}{query}"


def _own_feed_slug(url: str) -> str | None:
    """The show slug when ``url`` is this Ondas's public feed of a show.

    That is ``/shows/<slug>/feed.xml`` on a host of this site (the host of
    ``SITE_URL`` or one ``ALLOWED_HOSTS`` accepts): another Ondas's feed with
    the same slug is another show.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    site_host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    if host != site_host and not validate_host(host, settings.ALLOWED_HOSTS):
        return None
    path = parts.path.rstrip("/")
    try:
        match = resolve(path or "/")
    except Resolver404:
        return None
    if match.view_name != "feeds:show-feed":
        return None
    slug = match.kwargs.get("show_slug")
    return slug if isinstance(slug, str) else None


def _stored_forms(key: str) -> list[str]:
    """The lowercased ways a feed source's URL with this key may be stored."""
    return [
        f"{scheme}://{key}{slash}".lower()
        for scheme in ("http", "https")
        for slash in ("", "/")
    ]


# Keeps each IN (...) list well under every database's parameter limit.
_MATCH_BATCH = 400


def show_match_feed_urls(*, urls: Iterable[str]) -> dict[str, Show]:
    """The shows of this catalog that these feed addresses stand for, by address.

    An address stands for a show when it is the show's public feed here
    (``/shows/<slug>/feed.xml`` on a host of this site, over either scheme) or the feed the
    show was imported from (``FeedSource.url``); both compare by
    :func:`feed_url_key`. Addresses that match nothing are left out.
    """
    wanted = list(dict.fromkeys(urls))
    slugs = {url: slug for url in wanted if (slug := _own_feed_slug(url))}
    by_slug = show_list_visible().in_bulk(set(slugs.values()), field_name="slug")
    found = {url: by_slug[s] for url, s in slugs.items() if s in by_slug}
    keys: dict[str, list[str]] = {}
    for url in wanted:
        if url not in found:
            keys.setdefault(feed_url_key(url), []).append(url)
    forms = [form for key in keys for form in _stored_forms(key)]
    for start in range(0, len(forms), _MATCH_BATCH):
        sources = (
            FeedSource.objects.annotate(url_lower=Lower("url"))
            .filter(
                url_lower__in=forms[start : start + _MATCH_BATCH],
                show__importing=False,
            )
            .select_related("show")
        )
        for source in sources:
            for url in keys.get(feed_url_key(source.url), []):
                found.setdefault(url, source.show)
    return found


# Feed imports from the import page ---------------------------------------


def feed_import_allowed(*, user: User | AnonymousUser) -> bool:
    """Whether the person may import shows from feeds: creators, staff, superusers."""
    if not isinstance(user, User) or not user.is_active or user.is_deleted:
        return False
    return user.is_superuser or user.role in {User.Role.STAFF, User.Role.CREATOR}


# The reason of an import still waiting or running after
# ONDAS_FEED_IMPORT_TIMEOUT_MINUTES: most likely its worker died mid-run.
FEED_IMPORT_TIMED_OUT = "import_timed_out"


def feed_import_timed_out_message() -> str:
    """The message of an import that stopped without finishing, translated."""
    return _("This import stopped without finishing; try again.")


def feed_imports_overdue(*, now: datetime) -> QuerySet[FeedImport]:
    """Imports still pending or running ONDAS_FEED_IMPORT_TIMEOUT_MINUTES after
    they started (or, never started, were asked for)."""
    cutoff = now - timedelta(minutes=settings.ONDAS_FEED_IMPORT_TIMEOUT_MINUTES)
    return (
        FeedImport.objects.filter(
            status__in=[FeedImport.Status.PENDING, FeedImport.Status.RUNNING]
        )
        .alias(since=Coalesce("started_at", "created_at"))
        .filter(since__lt=cutoff)
    )


def _as_shown(record: FeedImport, *, now: datetime) -> FeedImport:
    """Show an overdue import as the failure it is, before any sweep writes it.

    Changes the instance in memory only (selectors never write), so the page
    stops reloading itself as soon as the limit passes.
    """
    if record.is_finished:
        return record
    since = record.started_at or record.created_at
    limit = timedelta(minutes=settings.ONDAS_FEED_IMPORT_TIMEOUT_MINUTES)
    if now - since > limit:
        record.status = FeedImport.Status.FAILED
        record.reason = FEED_IMPORT_TIMED_OUT
        record.message = feed_import_timed_out_message()
    return record


def _feed_imports_for(user: User) -> QuerySet[FeedImport]:
    if not feed_import_allowed(user=user):
        raise FeedImportForbidden()
    return FeedImport.objects.select_related("source__show")


def feed_import_list_for_user(
    *, user: User, limit: int = 20, now: datetime | None = None
) -> list[FeedImport]:
    """The person's latest imports, newest first; raise FeedImportForbidden.

    Overdue ones read as failed (``_as_shown``).
    """
    now = now or clock.now()
    records = (
        _feed_imports_for(user)
        .filter(requested_by=user)
        .order_by("-created_at", "-pk")[:limit]
    )
    return [_as_shown(record, now=now) for record in records]


def feed_import_get_for_user(
    *, user: User, import_id: int, now: datetime | None = None
) -> FeedImport:
    """One import the person asked for (staff see every one).

    Raise FeedImportForbidden for people who may not import, and
    FeedImportNotFound for someone else's import or none. One still pending or
    running past ONDAS_FEED_IMPORT_TIMEOUT_MINUTES reads as failed.
    """
    imports = _feed_imports_for(user)
    if not (user.is_superuser or user.role == User.Role.STAFF):
        imports = imports.filter(requested_by=user)
    try:
        record = imports.get(pk=import_id)
    except FeedImport.DoesNotExist:
        raise FeedImportNotFound(import_id=import_id) from None
    return _as_shown(record, now=now or clock.now())


# What a refresh overwrites (show_update_from_feed, episode_update_from_feed,
# the chapters and transcripts of each item, the publisher's artwork and
# enclosure): the studio must not let a creator edit it.
SHOW_FIELDS_FROM_FEED = frozenset(
    {"title", "author", "description", "explicit", "kind", "language", "artwork"}
)
EPISODE_FIELDS_FROM_FEED = frozenset(
    {
        "title",
        "description",
        "published_at",
        "duration_seconds",
        "season",
        "number",
        "kind",
        "audio",
        "chapters",
        "transcripts",
    }
)


def show_is_feed_managed(*, show: Show) -> bool:
    """Whether the show is refreshed from its publisher's feed (imported, and
    its owner has not stopped following the feed)."""
    return FeedSource.objects.filter(show=show, detached_at__isnull=True).exists()


def show_feed_managed_fields(show: Show) -> frozenset[str]:
    """The show's fields its next refresh would overwrite."""
    return SHOW_FIELDS_FROM_FEED if show_is_feed_managed(show=show) else frozenset()


def episode_feed_managed_fields(episode: Episode) -> frozenset[str]:
    """The episode's fields its show's next refresh would overwrite: those of
    an episode its feed brought in (a studio-made one has none)."""
    if RemoteEpisode.objects.filter(
        episode=episode, source__detached_at__isnull=True
    ).exists():
        return EPISODE_FIELDS_FROM_FEED
    return frozenset()
