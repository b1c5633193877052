"""Shows made and edited in the studio.

A show made here is an ordinary catalog show (``catalog.services.show_create``):
it is on the public pages and in the feeds like an imported one, and every
write bumps its content version through the catalog's models
(``catalog.versioning``). Its creator becomes its owner in the same
transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.files import File
from django.db import models, transaction

from ondas.accounts.models import User
from ondas.catalog.models import Access, Category, Episode, Show, ShowCategory
from ondas.catalog.selectors import show_slug_free
from ondas.catalog.services import sanitize_html, show_create
from ondas.catalog.services.shows_authored import show_delete, show_trailer_set
from ondas.core import clock
from ondas.ingest.services.detach import feed_source_detach
from ondas.studio.errors import FieldFollowsFeed, StudioForbidden, StudioNotFound
from ondas.studio.models import Role
from ondas.studio.selectors import (
    FEED_OWNED_FIELDS,
    show_feed_source,
    show_follows_feed,
    studio_create_allowed,
)
from ondas.studio.services.members import membership_grant

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShowInput:
    """What the studio's show form gives: the category may be an Apple
    subcategory (its parent is then the top category)."""

    title: str
    author: str
    language: str
    description: str = ""
    category: Category | None = None
    explicit: bool = False
    default_access: str = Access.FREE
    # Already checked by the form (square RGB JPEG/PNG, 1400-3000 px).
    artwork: File[bytes] | None = None


@transaction.atomic
def show_create_in_studio(*, data: ShowInput, acting_user: User) -> Show:
    """Create a show and make ``acting_user`` its owner.

    Raises StudioForbidden unless the person is a creator or staff.
    """
    if not studio_create_allowed(user=acting_user):
        raise StudioForbidden()
    show = show_create(
        title=data.title,
        author=data.author,
        language=data.language,
        description=data.description,
        slug=show_slug_free(data.title),
        categories=[str(data.category)] if data.category is not None else [],
        explicit=data.explicit,
    )
    if data.default_access != show.default_access:
        show.default_access = data.default_access
        show.full_clean(exclude=["artwork"])
        show.save(update_fields=["default_access", "updated_at"])
    membership_grant(target=show, user=acting_user, role=Role.OWNER)
    if data.artwork is not None:
        # Last, so that nothing after the file is written can fail and leave it.
        _artwork_replace(show, data.artwork)
    logger.info("User %s created show %s in the studio", acting_user.pk, show.pk)
    return show


@transaction.atomic
def show_update_in_studio(*, show: Show, data: ShowInput, acting_user: User) -> Show:
    """Save the studio form's values on ``show`` (an editor's or owner's action).

    For a show that follows its RSS feed, the fields each refresh sets are the
    feed's: changing one raises FieldFollowsFeed and saves nothing.
    """
    locked = Show.objects.select_for_update(of=("self",)).get(pk=show.pk)
    values = {
        "title": data.title,
        "author": data.author,
        "language": data.language,
        "description": sanitize_html(data.description),
        "explicit": data.explicit,
        "default_access": data.default_access,
    }
    changed = [name for name, value in values.items() if getattr(locked, name) != value]
    if show_follows_feed(show=locked):
        refused = [name for name in changed if name in FEED_OWNED_FIELDS]
        if refused:
            raise FieldFollowsFeed(fields=[_field_label(name) for name in refused])
    if changed:
        for name in changed:
            setattr(locked, name, values[name])
        locked.full_clean(exclude=["artwork"])
        locked.save(update_fields=[*changed, "updated_at"])
    _category_set(locked, data.category)
    if data.artwork is not None:
        _artwork_replace(locked, data.artwork)
    logger.info("User %s edited show %s (%s)", acting_user.pk, locked.pk, changed)
    return locked


def _artwork_replace(show: Show, artwork: File[bytes]) -> None:
    """Store the new artwork through the storage API; drop the old file once
    the change is committed (a rollback keeps the old one in use)."""
    old = show.artwork.name if show.artwork else ""
    storage = show.artwork.storage
    show.artwork.save(artwork.name or f"{show.slug}.png", artwork, save=False)
    show.save(update_fields=["artwork", "updated_at"])
    new = show.artwork.name
    if old and old != new:
        transaction.on_commit(lambda: storage.delete(old))


def _field_label(name: str) -> str:
    field = Show._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.verbose_name)


def _category_set(show: Show, category: Category | None) -> None:
    """Make ``category`` the show's primary category (none: no categories)."""
    current = list(ShowCategory.objects.filter(show=show).order_by("position"))
    if category is None:
        if current:
            ShowCategory.objects.filter(show=show).delete()
        return
    if current and current[0].category_id == category.pk:
        return
    ShowCategory.objects.filter(show=show, category=category).delete()
    ShowCategory.objects.filter(show=show, position=0).delete()
    ShowCategory.objects.create(show=show, category=category, position=0)


def show_trailer_choose(
    *, show: Show, episode_id: int | None, acting_user: User
) -> Episode | None:
    """Make the show's episode ``episode_id`` its trailer (None: no trailer).

    Another show's episode, a deleted one or a made-up id is StudioNotFound;
    for a show that follows its feed the feed says which is the trailer
    (FieldsManagedByFeed).
    """
    episode = None
    if episode_id is not None:
        episode = (
            Episode.objects.filter(show=show, pk=episode_id)
            .exclude(status=Episode.Status.DELETED)
            .first()
        )
        if episode is None:
            raise StudioNotFound()
    chosen = show_trailer_set(show=show, episode=episode)
    logger.info("User %s chose the trailer of show %s", acting_user.pk, show.pk)
    return chosen


def show_feed_detach(*, show: Show, acting_user: User) -> None:
    """Stop following the show's feed (an owner's action; the view checks the
    role): every field becomes the studio's. Raise StudioNotFound for a show
    made here, FeedSourceDetached if it stopped following already."""
    if show_feed_source(show=show) is None:
        raise StudioNotFound
    feed_source_detach(show=show, acting_user=acting_user, now=clock.now())
    logger.info(
        "User %s stopped following the feed of show %s", acting_user.pk, show.pk
    )


def show_delete_in_studio(*, show: Show, acting_user: User) -> None:
    """Delete the show for good (an owner's action; the view checks the role)."""
    show_delete(show=show)
    logger.info("User %s deleted show %s in the studio", acting_user.pk, show.pk)
