"""Episodes a creator writes in the studio: create and edit.

The same rules as imported episodes (sanitised description, ``full_clean``,
unique slug per show), plus the studio's: the GUID is Ondas's own (a UUID
URN) and never one a deleted episode had; an episode starts as a draft, or is
published now or at a time, and publishing needs its audio.

A show imported from its publisher's feed keeps what the feed says: the next
refresh would overwrite those fields, so editing them is refused
(``FieldsManagedByFeed``). Which fields those are is ``ingest``'s knowledge
(it sits above catalog): it registers its answer here when it starts
(``feed_managed_fields_register``), the way the loss counters of
``lifecycle`` are registered.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ondas.catalog.errors import (
    EpisodeGuidRetired,
    EpisodeNeedsAudio,
    EpisodeStateInvalid,
    EpisodeTimePast,
    FieldsManagedByFeed,
)
from ondas.catalog.models import AudioFile, Episode, EpisodeGuidTombstone, Show
from ondas.catalog.sanitize import sanitize_html
from ondas.core import clock
from ondas.core.errors import NotFoundError

logger = logging.getLogger(__name__)

# The fields of an episode the studio edits.
EDITABLE = ("title", "description", "season", "number", "kind", "access", "audio")


class PublishWhen(StrEnum):
    DRAFT = "draft"
    NOW = "now"
    AT = "at"


# Managed fields ---------------------------------------------------------------

ShowFields = Callable[[Show], frozenset[str]]
EpisodeFields = Callable[[Episode], frozenset[str]]
_show_providers: list[ShowFields] = []
_episode_providers: list[EpisodeFields] = []


def feed_managed_fields_register(*, show: ShowFields, episode: EpisodeFields) -> None:
    """Let the app that refreshes shows from feeds say which fields it owns."""
    if show not in _show_providers:
        _show_providers.append(show)
    if episode not in _episode_providers:
        _episode_providers.append(episode)


def show_managed_fields(*, show: Show) -> frozenset[str]:
    """The show's fields a refresh from its feed would overwrite (none: not
    imported, or no longer following its feed)."""
    return frozenset().union(*(provider(show) for provider in _show_providers))


def episode_managed_fields(*, episode: Episode) -> frozenset[str]:
    """The episode's fields a refresh from its show's feed would overwrite."""
    return frozenset().union(*(provider(episode) for provider in _episode_providers))


def managed_fields_refuse(changed: set[str], managed: frozenset[str]) -> None:
    """Raise FieldsManagedByFeed naming the ``changed`` fields a feed owns."""
    clash = sorted(changed & managed)
    if clash:
        raise FieldsManagedByFeed(fields=clash)


# GUIDs and slugs --------------------------------------------------------------


def episode_guid_check(*, show: Show, guid: str) -> None:
    """Raise EpisodeGuidRetired if a deleted episode of the show had ``guid``."""
    if EpisodeGuidTombstone.objects.filter(show=show, guid=guid).exists():
        raise EpisodeGuidRetired(show_id=show.pk, guid=guid)


def episode_guid_new(*, show: Show) -> str:
    """A GUID no episode of the show has had: a UUID URN (RFC 9562)."""
    while True:
        guid = uuid.uuid4().urn
        taken = Episode.objects.filter(show=show, guid=guid).exists()
        if (
            not taken
            and not EpisodeGuidTombstone.objects.filter(show=show, guid=guid).exists()
        ):
            return guid


def episode_slug_unique(*, show: Show, title: str) -> str:
    """A slug from ``title`` that no other episode of the show has, deleted
    ones included (their addresses must not show another episode)."""
    base = slugify(title)[:110] or "episode"
    taken = set(
        Episode.objects.filter(show=show, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _audio(audio_id: int | None) -> AudioFile | None:
    if audio_id is None:
        return None
    audio = AudioFile.objects.filter(pk=audio_id).first()
    if audio is None:
        raise NotFoundError(_("This audio file does not exist."), audio_id=audio_id)
    return audio


def _publication(
    *, when: PublishWhen, at: datetime | None, audio: AudioFile | None, now: datetime
) -> tuple[str, datetime]:
    """The status and publication time a create or edit asks for."""
    if when == PublishWhen.DRAFT:
        return Episode.Status.DRAFT, at or now
    if audio is None:
        raise EpisodeNeedsAudio(episode_id=None)
    if when == PublishWhen.AT:
        if at is None or at <= now:
            raise EpisodeTimePast
        return Episode.Status.PUBLISHED, at
    return Episode.Status.PUBLISHED, now


# Create and edit --------------------------------------------------------------


@transaction.atomic
def studio_episode_create(
    *,
    show: Show,
    title: str,
    description: str = "",
    season: int | None = None,
    number: int | None = None,
    kind: str = Episode.Kind.FULL,
    access: str = Episode.Access.FREE,
    audio_id: int | None = None,
    when: PublishWhen = PublishWhen.DRAFT,
    at: datetime | None = None,
    now: datetime | None = None,
) -> Episode:
    """Create an episode of ``show``: a draft, published now, or at ``at``.

    A draft may have no audio; publishing needs it (``EpisodeNeedsAudio``).
    A time for ``PublishWhen.AT`` must still be to come (``EpisodeTimePast``).
    """
    now = now or clock.now()
    audio = _audio(audio_id)
    status, published_at = _publication(when=when, at=at, audio=audio, now=now)
    guid = episode_guid_new(show=show)
    episode = Episode(
        show=show,
        guid=guid,
        title=title.strip(),
        slug=episode_slug_unique(show=show, title=title),
        description=sanitize_html(description),
        published_at=published_at,
        duration_seconds=audio.duration_seconds if audio is not None else 0,
        season=season,
        number=number,
        kind=kind,
        access=access,
        audio=audio,
        status=status,
    )
    episode.full_clean()
    episode.save()
    logger.info("Episode %s created in the studio (%s)", episode.pk, status)
    return episode


@transaction.atomic
def studio_episode_update(
    *,
    episode: Episode,
    title: str,
    description: str,
    season: int | None,
    number: int | None,
    kind: str,
    access: str,
    audio_id: int | None,
) -> Episode:
    """Save the studio's edit of an episode (its slug, and so its address,
    stays); the lifecycle services change when it is published.

    Refuse fields the show's feed owns (``FieldsManagedByFeed``), an edit of
    a deleted episode, and taking the audio from a published one.
    """
    row = Episode.objects.select_for_update(of=("self",)).get(pk=episode.pk)
    if row.status == Episode.Status.DELETED:
        raise EpisodeStateInvalid(
            episode_id=row.pk,
            status=row.get_status_display(),
            action="edit",
        )
    audio = row.audio if audio_id == row.audio_id else _audio(audio_id)
    wanted = {
        "title": title.strip(),
        "description": sanitize_html(description),
        "season": season,
        "number": number,
        "kind": kind,
        "access": access,
        "audio": audio,
    }
    changed = {name for name, value in wanted.items() if getattr(row, name) != value}
    managed_fields_refuse(changed, episode_managed_fields(episode=row))
    if audio is None and row.status == Episode.Status.PUBLISHED:
        raise EpisodeNeedsAudio(episode_id=row.pk)
    if not changed:
        return row
    for name, value in wanted.items():
        setattr(row, name, value)
    if "audio" in changed and audio is not None:
        row.duration_seconds = audio.duration_seconds
        changed.add("duration_seconds")
    row.full_clean()
    row.save(update_fields=[*sorted(changed), "updated_at"])
    logger.info(
        "Episode %s edited in the studio: %s", row.pk, ", ".join(sorted(changed))
    )
    return row
