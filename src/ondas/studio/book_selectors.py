"""Reads of the studio's audiobook pages, and of a show's trailer choice.

The book or show itself is found through ``selectors.membership_get_for_user``:
no role, no object."""

from __future__ import annotations

from django.db.models import QuerySet

from ondas.catalog.models import Audiobook, AudiobookPart, Episode, Show
from ondas.studio.errors import StudioNotFound


def book_part_list(*, book: Audiobook) -> QuerySet[AudiobookPart]:
    """The book's parts in order, with their audio."""
    return (
        AudiobookPart.objects.filter(audiobook=book)
        .select_related("audio")
        .order_by("position")
    )


def book_part_get(*, book: Audiobook, part_id: int) -> AudiobookPart:
    """A part of ``book``; raise StudioNotFound for any other id."""
    part = (
        AudiobookPart.objects.filter(audiobook=book, pk=part_id)
        .select_related("audiobook", "audio")
        .first()
    )
    if part is None:
        raise StudioNotFound()
    return part


def show_trailer_options(*, show: Show) -> QuerySet[Episode]:
    """The show's episodes one may choose as its trailer, newest first."""
    return (
        Episode.objects.filter(show=show)
        .exclude(status=Episode.Status.DELETED)
        .only("pk", "title", "kind", "published_at", "show_id")
        .order_by("-published_at", "-pk")
    )
