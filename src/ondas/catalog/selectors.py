"""Reads of the catalog. Selectors never write."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ondas.catalog.book_selectors import audiobook_get as audiobook_get
from ondas.catalog.book_selectors import audiobook_get_by_id as audiobook_get_by_id
from ondas.catalog.book_selectors import audiobook_list as audiobook_list
from ondas.catalog.errors import EpisodeNotFound, ShowNotFound
from ondas.catalog.models import (
    Audiobook,
    AudiobookPart,
    AudioFile,
    Category,
    Chapter,
    Episode,
    Show,
    Transcript,
)
from ondas.catalog.transcripts import transcript_preferred
from ondas.catalog.visibility import PUBLISHED, episode_listed_q
from ondas.core import clock
from ondas.core.errors import NotFoundError


def _categories_in_order() -> Prefetch[str, QuerySet[Category], str]:
    """A show's categories in their feed order, each with its parent."""
    categories: QuerySet[Category] = Category.objects.select_related("parent").order_by(
        "showcategory__position"
    )
    return Prefetch("categories", queryset=categories)


def show_slug_free(title: str) -> str:
    """A slug for a new show called ``title`` that no show has yet."""
    base = slugify(title)[:100] or "show"
    slug, n = base, 2
    while Show.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def show_list_visible() -> QuerySet[Show]:
    """Every show a listener may find: not one a feed import is still writing."""
    return Show.objects.filter(importing=False)


def _listed_episode_count(*, now: datetime) -> Coalesce:
    """The show's listed episodes, counted show by show.

    A subquery per show rather than one join grouped by show: on PostgreSQL
    the join read every episode of every show from end to end (a sequential
    scan, tests/scale/test_explain.py), where each subquery reads the show's
    own range of the ``catalog_ep_show_state`` index.
    """
    counted = (
        Episode.objects.filter(episode_listed_q(now=now), show=OuterRef("pk"))
        .order_by()
        .values("show")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def show_list(*, now: datetime | None = None) -> QuerySet[Show]:
    """Every listed show with its number of listed episodes and its categories."""
    return (
        show_list_visible()
        .annotate(episode_count=_listed_episode_count(now=now or clock.now()))
        .prefetch_related(_categories_in_order())
        .order_by("title")
    )


def show_get(*, slug: str) -> Show:
    """Return the show at ``slug``; raise ShowNotFound."""
    try:
        return (
            show_list_visible().prefetch_related(_categories_in_order()).get(slug=slug)
        )
    except Show.DoesNotExist:
        raise ShowNotFound(slug=slug) from None


def show_get_plain(*, slug: str, pk: int | None = None) -> Show:
    """Return the show at ``slug`` and nothing more (one query); raise ShowNotFound.

    With ``pk``, only that show will do: a caller that read the show's version
    first never gets another show that took the slug since.
    """
    shows = show_list_visible().filter(slug=slug)
    if pk is not None:
        shows = shows.filter(pk=pk)
    try:
        return shows.get()
    except Show.DoesNotExist:
        raise ShowNotFound(slug=slug) from None


@dataclass(frozen=True)
class ShowVersion:
    """A show's id and content version, and nothing more: what a 304 needs."""

    pk: int
    created_at: datetime
    content_version: int
    content_changed_at: datetime
    next_publication_at: datetime | None


_VERSION_COLUMNS = (
    "id",
    "created_at",
    "content_version",
    "content_changed_at",
    "next_publication_at",
)


def _moment(value: object) -> datetime | None:
    """A timestamp as the database driver gave it: SQLite's are text."""
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value))
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def show_version_get(*, slug: str) -> ShowVersion:
    """The version of the show at ``slug``; raise ShowNotFound.

    Every conditional GET of a feed asks this, so it is one narrow query of
    plain SQL over the slug's unique index: building the ORM query cost more
    than running it (about half the time of a 304).
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in _VERSION_COLUMNS)
    sql = (
        f"SELECT {columns} FROM {quote(Show._meta.db_table)}"  # noqa: S608 - names only
        f" WHERE {quote('slug')} = %s AND {quote('importing')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, False])
        row = cursor.fetchone()
    if row is None:
        raise ShowNotFound(slug=slug)
    pk, created, version, changed, upcoming = row
    created_at, changed_at = _moment(created), _moment(changed)
    assert created_at is not None and changed_at is not None
    return ShowVersion(int(pk), created_at, int(version), changed_at, _moment(upcoming))


@dataclass(frozen=True)
class ContentStamp:
    """What a show's published content is at one moment.

    ``key`` changes whenever the show's feeds, chapters files or page could
    (``catalog.versioning``): cached copies are keyed by it. ``last_modified``
    is when that content last changed.
    """

    key: str
    last_modified: datetime


def _micros(moment: datetime) -> str:
    return format(int(moment.timestamp() * 1_000_000), "x")


def show_content_stamp(*, show: Show | ShowVersion, now: datetime) -> ContentStamp:
    """The show's content stamp at ``now``, from its version: O(1).

    The show's id and creation time keep two shows apart even when a
    database reuses the id of a deleted one. Between the last bump and the
    next publication time the clock changes nothing, so the version says all;
    after it (until the next write bumps again) the newest publication time
    already reached joins the key — one indexed look-up, not an aggregate.
    """
    key = f"{show.pk}.{_micros(show.created_at)}.{show.content_version}"
    changed = show.content_changed_at
    upcoming = show.next_publication_at
    if (upcoming is None or now < upcoming) and now >= changed:
        return ContentStamp(key=key, last_modified=changed)
    newest = (
        Episode.objects.listed(now=now)
        .filter(show_id=show.pk)
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    if newest is None:
        return ContentStamp(key=f"{key}.-", last_modified=changed)
    return ContentStamp(
        key=f"{key}.{_micros(newest)}", last_modified=max(changed, newest)
    )


def _episodes_with_chapters(qs: QuerySet[Episode]) -> QuerySet[Episode]:
    return qs.select_related("audio", "show").prefetch_related(
        Prefetch("chapters", queryset=Chapter.objects.order_by("start_seconds"))
    )


def episode_order_for_show(show: Show) -> list[str]:
    """Newest first, or oldest first if the show is serial; ids break ties."""
    if show.kind == Show.Kind.SERIAL:
        return ["published_at", "pk"]
    return ["-published_at", "-pk"]


def episode_list_for_show(
    *, show: Show, now: datetime | None = None
) -> QuerySet[Episode]:
    """The show's listed episodes with audio and chapters, in the show's order."""
    return _episodes_with_chapters(
        Episode.objects.listed(now=now or clock.now())
        .filter(show=show)
        .order_by(*episode_order_for_show(show))
    )


def episode_page_for_show(
    *, show: Show, page_number: str | int | None, now: datetime | None = None
) -> Page[Episode]:
    """One page of the show's listed episodes (newest first, or oldest first
    if serial).

    A page out of range gives the last page, a malformed number the first,
    so a shared link never breaks.
    """
    episodes = episode_list_for_show(show=show, now=now)
    paginator = Paginator(episodes, settings.ONDAS_EPISODES_PER_PAGE)
    return paginator.get_page(page_number)


def episode_get(
    *, show_slug: str, episode_slug: str, now: datetime | None = None
) -> Episode:
    """Return one listed episode with its show, chapters and transcripts; raise
    EpisodeNotFound (for drafts, scheduled, unpublished and deleted ones too)."""
    try:
        return (
            _episodes_with_chapters(Episode.objects.listed(now=now or clock.now()))
            .prefetch_related("transcripts")
            .get(show__slug=show_slug, show__importing=False, slug=episode_slug)
        )
    except Episode.DoesNotExist:
        raise EpisodeNotFound(show_slug=show_slug, episode_slug=episode_slug) from None


def episode_transcript_preferred(
    *, episode: Episode, language: str
) -> Transcript | None:
    """The one of the episode's transcripts to offer a reader of ``language``
    (``catalog.transcripts``); None when it has none."""
    return transcript_preferred(
        episode.transcripts.all(),
        language=language,
        show_language=episode.show.language,
    )


def episode_list_for_feed(
    *, show: Show, limit: int = 300, now: datetime | None = None
) -> QuerySet[Episode]:
    """The newest listed free episodes with audio, for the public feed."""
    return (
        Episode.objects.listed(now=now or clock.now())
        .filter(show=show, access=Episode.Access.FREE)
        .filter(~Q(audio=None))
        .select_related("audio")
        .order_by("-published_at", "-pk")[:limit]
    )


# A part's audio is for people with audiobook hours left; playback decides.
AUDIOBOOK_PART_ACCESS = "audiobook"


def _audio_access_sql() -> str:
    """The audio row and who uses it, as SQL: compiled once, not per request.

    Through the ORM the three EXISTS annotations took ≈ 1.4 ms to build for
    every range request; the query itself runs in microseconds.
    """
    quote = connection.ops.quote_name
    audio = quote(AudioFile._meta.db_table)
    episodes = quote(Episode._meta.db_table)
    parts = quote(AudiobookPart._meta.db_table)
    episode_audio = quote(Episode._meta.get_field("audio").column)
    part_audio = quote(AudiobookPart._meta.get_field("audio").column)
    access = quote(Episode._meta.get_field("access").column)
    status = quote(Episode._meta.get_field("status").column)
    published = quote(Episode._meta.get_field("published_at").column)
    books = quote(Audiobook._meta.db_table)
    part_book = quote(AudiobookPart._meta.get_field("audiobook").column)
    sample = quote(Audiobook._meta.get_field("sample_audio").column)
    book_status = quote(Audiobook._meta.get_field("status").column)
    # catalog.visibility's rule, in SQL: only listed episodes lend their access.
    listed = f"e.{status} = %s AND e.{published} <= %s"
    # A part, and whether its book is published (%s: Audiobook.Status.PUBLISHED).
    book_part = (
        f"SELECT 1 FROM {parts} p JOIN {books} b ON b.id = p.{part_book}"  # noqa: S608 - names only
        f" WHERE p.{part_audio} = a.id AND b.{book_status}"
    )
    return (
        f"SELECT a.*, "  # noqa: S608 - names from model metadata; values are parameters
        f"EXISTS (SELECT 1 FROM {episodes} e WHERE e.{episode_audio} = a.id"
        f" AND e.{access} = %s AND {listed}) AS used_by_exclusive, "
        f"EXISTS (SELECT 1 FROM {episodes} e WHERE e.{episode_audio} = a.id"
        f" AND e.{access} <> %s AND {listed}) AS used_by_free, "
        f"EXISTS (SELECT 1 FROM {episodes} e WHERE e.{episode_audio} = a.id)"
        f" AS used_by_episode, "
        f"EXISTS ({book_part} = %s) AS used_by_book_part, "
        f"(EXISTS ({book_part} <> %s) OR EXISTS (SELECT 1 FROM {books} b"
        f" WHERE b.{sample} = a.id AND b.{book_status} <> %s)) AS used_by_draft_book "
        f"FROM {audio} a WHERE a.id = %s"
    )


def audio_file_get_with_access(
    *, audio_id: int, now: datetime | None = None
) -> tuple[AudioFile, str] | None:
    """Return the audio file and who may hear it (an ``Episode.Access``), or None.

    Only listed episodes count (``catalog.visibility``). It is exclusive when
    listed exclusive episodes use it and no listed free one does: bytes a free
    episode already serves are public. A book's part (not its sample) is
    ``AUDIOBOOK_PART_ACCESS``. Audio that only drafts, scheduled, unpublished
    or deleted episodes use is None: nobody may hear it yet, or any more; so
    is audio that only draft books use (as a part or their sample).
    Audio nothing uses yet stays free, as before (a book's sample). One query,
    so the audio view stays cheap on every range request.
    """
    if not 0 < audio_id < 2**63:  # no such id can exist; SQLite would overflow
        return None
    exclusive = Episode.Access.EXCLUSIVE
    moment = now or clock.now()
    rows = AudioFile.objects.raw(
        _audio_access_sql(),
        [
            *(exclusive, PUBLISHED, moment, exclusive, PUBLISHED, moment),
            *[Audiobook.Status.PUBLISHED] * 3,
            audio_id,
        ],
    )
    row = next(iter(rows), None)
    if row is None:
        return None
    used_by_free = bool(getattr(row, "used_by_free", False))
    if getattr(row, "used_by_book_part", False) and not used_by_free:
        return row, AUDIOBOOK_PART_ACCESS
    used_by_exclusive = bool(getattr(row, "used_by_exclusive", False))
    unlisted = getattr(row, "used_by_episode", False) or getattr(
        row, "used_by_draft_book", False
    )
    if unlisted and not (used_by_free or used_by_exclusive):
        return None
    only_exclusive = used_by_exclusive and not used_by_free
    return row, Episode.Access.EXCLUSIVE if only_exclusive else Episode.Access.FREE


def audio_file_get_for_show(
    *, audio_id: int, show_id: int, now: datetime
) -> AudioFile | None:
    """Return the audio file if a published episode of the show uses it, else None.

    What a private feed of the show may serve, whatever the episode's access.
    """
    if not 0 < audio_id < 2**63:
        return None
    used = Episode.objects.listed(now=now).filter(show_id=show_id, audio_id=audio_id)
    return AudioFile.objects.filter(pk=audio_id, pk__in=used.values("audio_id")).first()


# Audiobooks live in catalog.book_selectors (re-exported here).


def episode_get_by_id(*, episode_id: int, listed_at: datetime | None = None) -> Episode:
    """Return the episode with this id; raise NotFoundError.

    With ``listed_at``, only an episode listeners may see then will do.
    """
    episodes = Episode.objects.all()
    if listed_at is not None:
        episodes = episodes.listed(now=listed_at)
    episode = episodes.filter(pk=episode_id, show__importing=False).first()
    if episode is None:
        raise NotFoundError(_("This episode does not exist."), episode_id=episode_id)
    return episode


@dataclass(frozen=True)
class EpisodeInHistory:
    """An episode as a listener's history names it, available or not."""

    episode_id: int
    title: str
    show_title: str
    available: bool
    episode: Episode | None  # only when available

    @property
    def status_label(self) -> str:
        return "" if self.available else _("No longer available")


def episode_list_for_history(
    *, episode_ids: Iterable[int], now: datetime
) -> dict[int, EpisodeInHistory]:
    """Each of these episodes as history shows it, by id.

    Deleted and unpublished episodes (and ids with no row left at all) are
    there too, not available: history never loses a line, and never raises.
    """
    ids = sorted(set(episode_ids))
    rows = {e.pk: e for e in Episode.objects.filter(pk__in=ids).select_related("show")}
    found: dict[int, EpisodeInHistory] = {}
    for pk in ids:
        episode = rows.get(pk)
        if episode is None:
            found[pk] = EpisodeInHistory(pk, "", "", False, None)
            continue
        listed = episode.is_listed(now=now)
        found[pk] = EpisodeInHistory(
            pk, episode.title, episode.show.title, listed, episode if listed else None
        )
    return found


def transcript_get_listed(*, transcript_id: int, now: datetime) -> Transcript:
    """A transcript Ondas stores, of an episode listeners may see now; raise
    NotFoundError for any other."""
    found = (
        Transcript.objects.filter(
            pk=transcript_id, episode__in=Episode.objects.listed(now=now)
        )
        .exclude(file="")
        .select_related("episode")
        .first()
    )
    if found is None:
        raise NotFoundError(
            _("This transcript does not exist."), transcript_id=transcript_id
        )
    return found
