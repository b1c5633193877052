"""Reads of the catalog. Selectors never write."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from ondas.catalog.errors import EpisodeNotFound, ShowNotFound
from ondas.catalog.models import AudioFile, Category, Chapter, Episode, Show


def show_list() -> QuerySet[Show]:
    """Every show with its number of episodes and its categories."""
    return (
        Show.objects.annotate(episode_count=Count("episodes"))
        .prefetch_related(
            Prefetch(
                "categories",
                queryset=Category.objects.select_related("parent").order_by(
                    "showcategory__position"
                ),
            )
        )
        .order_by("title")
    )


def show_get(*, slug: str) -> Show:
    """Return the show at ``slug``; raise ShowNotFound."""
    try:
        return Show.objects.prefetch_related(
            Prefetch(
                "categories",
                queryset=Category.objects.select_related("parent").order_by(
                    "showcategory__position"
                ),
            )
        ).get(slug=slug)
    except Show.DoesNotExist:
        raise ShowNotFound(slug=slug) from None


def _episodes_with_chapters(qs: QuerySet[Episode]) -> QuerySet[Episode]:
    return qs.select_related("audio", "show").prefetch_related(
        Prefetch("chapters", queryset=Chapter.objects.order_by("start_seconds"))
    )


def episode_page_for_show(
    *, show: Show, page_number: str | int | None
) -> Page[Episode]:
    """One page of the show's episodes (newest first, or oldest first if serial).

    A page out of range gives the last page, a malformed number the first,
    so a shared link never breaks.
    """
    order = (
        ["published_at", "pk"]
        if show.kind == Show.Kind.SERIAL
        else ["-published_at", "-pk"]
    )
    episodes = _episodes_with_chapters(
        Episode.objects.filter(show=show).order_by(*order)
    )
    paginator = Paginator(episodes, settings.ONDAS_EPISODES_PER_PAGE)
    return paginator.get_page(page_number)


def episode_get(*, show_slug: str, episode_slug: str) -> Episode:
    """Return one episode with its show and chapters; raise EpisodeNotFound."""
    try:
        return _episodes_with_chapters(Episode.objects.all()).get(
            show__slug=show_slug, slug=episode_slug
        )
    except Episode.DoesNotExist:
        raise EpisodeNotFound(show_slug=show_slug, episode_slug=episode_slug) from None


def episode_list_for_feed(*, show: Show, limit: int = 300) -> QuerySet[Episode]:
    """The newest free episodes with audio, for the public feed."""
    return (
        Episode.objects.filter(show=show, access=Episode.Access.FREE)
        .filter(~Q(audio=None))
        .select_related("audio")
        .order_by("-published_at", "-pk")[:limit]
    )


def audio_file_get(*, audio_id: int) -> AudioFile | None:
    """Return the audio file with this id, or None."""
    return AudioFile.objects.filter(pk=audio_id).first()


def audio_file_get_with_access(*, audio_id: int) -> tuple[AudioFile, str] | None:
    """Return the audio file and who may hear it (an ``Episode.Access``), or None.

    It is exclusive when exclusive episodes use it and no free one does: bytes a
    free episode already serves are public. Audio no episode uses yet stays free,
    as before. One query, so the audio view stays cheap on every range request.
    """
    using = Episode.objects.filter(audio=OuterRef("pk"))
    row = (
        AudioFile.objects.filter(pk=audio_id)
        .annotate(
            used_by_exclusive=Exists(using.filter(access=Episode.Access.EXCLUSIVE)),
            used_by_free=Exists(using.exclude(access=Episode.Access.EXCLUSIVE)),
        )
        .first()
    )
    if row is None:
        return None
    exclusive = row.used_by_exclusive and not row.used_by_free
    return row, Episode.Access.EXCLUSIVE if exclusive else Episode.Access.FREE
