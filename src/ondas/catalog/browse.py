"""Reads for browsing the catalog: by category (a subcategory's shows are in
its parent too) and by language (a BCP 47 tag's primary language)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from ondas.catalog.models import Category, Show, ShowCategory
from ondas.catalog.selectors import show_list


@dataclass(frozen=True)
class BrowseFacets:
    categories: list[Category]  # top level, each with ``used_children``
    languages: list[str]  # primary subtags, sorted


def browse_facets() -> BrowseFacets:
    """The categories and languages that have at least one show to find."""
    links = ShowCategory.objects.filter(show__importing=False).values_list(
        "category_id", "category__parent_id"
    )
    used = {pk for pair in links for pk in pair if pk is not None}
    found = list(Category.objects.filter(pk__in=used).select_related("parent"))
    tops = sorted((c for c in found if c.parent_id is None), key=lambda c: c.name)
    for top in tops:
        top.used_children = sorted(  # type: ignore[attr-defined]
            (c for c in found if c.parent_id == top.pk), key=lambda c: c.name
        )
    tags = Show.objects.filter(importing=False).values_list("language", flat=True)
    languages = sorted({tag.split("-", 1)[0].lower() for tag in tags if tag})
    return BrowseFacets(categories=tops, languages=languages)


def show_list_browse(
    *, category: str = "", language: str = "", now: datetime | None = None
) -> QuerySet[Show]:
    """Listed shows in the category with slug ``category`` (or in one of its
    subcategories) and in ``language`` (a primary subtag); "" for any."""
    shows = show_list(now=now)
    if category:
        shows = shows.filter(
            Q(categories__slug=category) | Q(categories__parent__slug=category)
        ).distinct()
    if language:
        shows = shows.filter(
            Q(language__iexact=language) | Q(language__istartswith=f"{language}-")
        )
    return shows
