"""Reads of audiobooks for listeners: only published books (a draft is the
studio's alone). ``catalog.selectors`` re-exports these."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from ondas.catalog.book_models import Audiobook, AudiobookChapter, AudiobookPart
from ondas.catalog.models import Category
from ondas.core.errors import NotFoundError


def _books_published() -> QuerySet[Audiobook]:
    """The books listeners may see: drafts are the studio's alone."""
    return Audiobook.objects.filter(status=Audiobook.Status.PUBLISHED)


def audiobook_list() -> QuerySet[Audiobook]:
    """Every published audiobook with its categories, by title."""
    return (
        _books_published()
        .prefetch_related(
            Prefetch("categories", queryset=Category.objects.select_related("parent"))
        )
        .order_by("title", "pk")
    )


def audiobook_get(*, slug: str) -> Audiobook:
    """Return the published book at ``slug`` with its parts, chapters and
    categories.

    Raise NotFoundError when there is none (a draft is none).
    """
    try:
        return (
            _books_published()
            .select_related("sample_audio")
            .prefetch_related(
                Prefetch(
                    "categories", queryset=Category.objects.select_related("parent")
                ),
                Prefetch(
                    "parts",
                    queryset=AudiobookPart.objects.select_related("audio").order_by(
                        "position"
                    ),
                ),
                Prefetch(
                    "chapters",
                    queryset=AudiobookChapter.objects.order_by("start_seconds"),
                ),
            )
            .get(slug=slug)
        )
    except Audiobook.DoesNotExist:
        raise NotFoundError(
            _("There is no audiobook at this address."), slug=slug
        ) from None


def audiobook_get_by_id(*, audiobook_id: int) -> Audiobook:
    """Return the published book with this id; raise NotFoundError."""
    book = _books_published().filter(pk=audiobook_id).first()
    if book is None:
        raise NotFoundError(
            _("This audiobook does not exist."), audiobook_id=audiobook_id
        )
    return book
