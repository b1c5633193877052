"""Reads of the search index: the hits a listener may see, with what to show.

Every hit is a document a listener may see now: a show (once no feed import
is still writing it), an audiobook or a person always; anything of an episode only while the episode is listed
(``catalog.visibility``: published and its time come), so unpublishing,
deleting and scheduling need no work on the index. Exclusive episodes show
for everyone, locked; their transcript cues are matched only for a listener
who may hear them, or, for others, when ``ONDAS_SEARCH_SNIPPET_CHARS`` (0, the
default, means not at all) lets them see that many characters of a cue.

The engine ranks and cuts first (``engines.ids_ranked``: a window of ids a
few times the hits wanted); visibility is asked of that window only, which
grows while hidden documents leave it short. A page knows there is a next
one by asking for one hit more; the count it shows stops past
``COUNT_CAP`` ("100+ results"). The header box (``search_hits_top``)
searches titles of shows, episodes and audiobooks only, eight at most.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ondas.billing.selectors import listening_rights
from ondas.catalog.models import Access
from ondas.catalog.visibility import episode_listed_q
from ondas.search import semantic
from ondas.search.blend import blended_ranking
from ondas.search.cache import results_cached
from ondas.search.engines import ids_matching_sql, ids_ranked
from ondas.search.models import SearchDocument
from ondas.search.text import QueryWord, highlight, marked_prefixes, query_words

Kind = SearchDocument.Kind
PER_PAGE = 20
# Characters of a description shown around the matched words.
CONTEXT_CHARS = 160


@dataclass(frozen=True)
class SearchHit:
    kind: str
    title: SafeString  # escaped, matched words in <mark>
    context: SafeString  # the chapter, cue or description around the match
    url: str
    show_title: str
    start_seconds: int | None
    locked: bool


def snippet_chars() -> int:
    return int(getattr(settings, "ONDAS_SEARCH_SNIPPET_CHARS", 0))


def _visible(*, may_hear_exclusive: bool, now: datetime) -> Q:
    # A show a feed import is still writing is found nowhere yet.
    shown = Q(show__isnull=True) | Q(show__importing=False)
    episode_q = shown & (
        Q(episode__isnull=True) | episode_listed_q(now=now, prefix="episode__")
    )
    if not may_hear_exclusive and snippet_chars() == 0:
        episode_q &= ~Q(kind=Kind.TRANSCRIPT, episode__access=Access.EXCLUSIVE)
    return episode_q


def _url(doc: SearchDocument) -> str:
    if doc.episode_id is not None and doc.episode is not None:
        url = reverse(
            "web:episode-detail",
            kwargs={
                "show_slug": doc.episode.show.slug,
                "episode_slug": doc.episode.slug,
            },
        )
    elif doc.audiobook is not None:
        url = reverse("web:audiobook-detail", kwargs={"book_slug": doc.audiobook.slug})
    elif doc.show is not None:
        return reverse("web:show-detail", kwargs={"show_slug": doc.show.slug})
    else:
        return ""
    if doc.start_seconds is not None:
        url += f"?t={int(doc.start_seconds)}"
    return url


def _parent_title(doc: SearchDocument) -> str:
    if doc.episode is not None:
        return doc.episode.title
    if doc.audiobook is not None:
        return doc.audiobook.title
    return doc.show.title if doc.show is not None else ""


def _hit(
    doc: SearchDocument, prefixes: tuple[str, ...], *, may_hear: bool
) -> SearchHit:
    episode = doc.episode
    locked = episode is not None and episode.access == Access.EXCLUSIVE and not may_hear
    if doc.kind == Kind.TRANSCRIPT:
        # A cue is short; a locked one shows at most the operator's snippet.
        title = highlight(_parent_title(doc), ())
        width = snippet_chars() if locked else 0
        context = highlight(doc.body, prefixes, width=width)
    elif doc.kind in (Kind.CHAPTER, Kind.BOOK_CHAPTER, Kind.PERSON):
        title = highlight(doc.title, prefixes)
        context = highlight(_parent_title(doc), prefixes)
    else:
        title = highlight(doc.title, prefixes)
        context = highlight(doc.body, prefixes, width=CONTEXT_CHARS)
    show_title = ""
    if episode is not None:
        show_title = episode.show.title
    return SearchHit(
        kind=doc.kind,
        title=mark_safe(title),  # noqa: S308 - text.highlight escaped it
        context=mark_safe(context),  # noqa: S308 - text.highlight escaped it
        url=_url(doc),
        show_title=show_title,
        start_seconds=None if doc.start_seconds is None else int(doc.start_seconds),
        locked=locked,
    )


# What one hit needs of a document and of what it belongs to; the rest of
# those rows (descriptions, feed fields) is not read.
_HIT_FIELDS = (
    "kind",
    "title",
    "body",
    "start_seconds",
    "show__slug",
    "show__title",
    "episode__slug",
    "episode__title",
    "episode__access",
    "episode__show__slug",
    "episode__show__title",
    "audiobook__slug",
    "audiobook__title",
)
# Matches counted, at most: past it the page says "100+ results" (counting
# is a join per match; past a hundred nobody reads the number).
COUNT_CAP = 100
# Pages offered, at most (the thousandth hit); each knows whether a next
# page exists by asking for one hit more, not by the count.
MAX_PAGE = 50
# Ranked ids first asked of the engine, per visible hit wanted; and how many
# times the window grows fourfold when hidden documents leave it short,
# before the whole ranking is read.
WINDOW_FACTOR = 4
WINDOW_MIN = 32
WIDENINGS = 3
# Ids per visibility query (below SQLite's limit on parameters).
VISIBLE_BATCH = 5000


@dataclass(frozen=True)
class _Ranked:
    ids: list[int]  # visible, best first: the beginning of the whole order
    complete: bool  # every visible match is in ``ids``
    near: bool  # found by similar spelling
    meaning: bool = False  # blended with meaning (``search.blend``)


def _visible_among(documents: QuerySet[SearchDocument], ids: list[int]) -> set[int]:
    visible: set[int] = set()
    for start in range(0, len(ids), VISIBLE_BATCH):
        batch = ids[start : start + VISIBLE_BATCH]
        visible.update(documents.filter(pk__in=batch).values_list("pk", flat=True))
    return visible


def _ranked_visible(
    documents: QuerySet[SearchDocument],
    words: list[QueryWord],
    *,
    wanted: int,
    near: bool,
    titles: bool,
) -> _Ranked:
    """The first ``wanted`` visible matches (fewer when there are no more),
    in the engine's order: the engine ranks and cuts a window a few times
    larger than ``wanted``; visibility is asked of that window only, and
    the window grows while hidden documents leave it short."""
    window: int | None = max(WINDOW_MIN, wanted * WINDOW_FACTOR)
    for attempt in range(WIDENINGS + 2):
        if attempt > WIDENINGS:
            window = None  # the whole ranking: a bounded number of tries
        ids = ids_ranked(words, near=near, titles=titles, limit=window)
        complete = window is None or len(ids) < window
        visible = _visible_among(documents, ids)
        ranked = [pk for pk in ids if pk in visible]
        if complete or len(ranked) >= wanted:
            return _Ranked(ids=ranked, complete=complete, near=near)
        assert window is not None
        window *= WINDOW_FACTOR
    raise AssertionError("unreachable: the last try reads the whole ranking")


def _documents(*, may_hear_exclusive: bool, now: datetime) -> QuerySet[SearchDocument]:
    return SearchDocument.objects.filter(
        _visible(may_hear_exclusive=may_hear_exclusive, now=now)
    )


def _search(
    documents: QuerySet[SearchDocument],
    words: list[QueryWord],
    *,
    wanted: int,
    titles: bool = False,
) -> _Ranked:
    """Exact matches; when none may be seen, near spellings (PostgreSQL),
    but not for ``titles``: the trigrams are over the whole text."""
    exact = _ranked_visible(documents, words, wanted=wanted, near=False, titles=titles)
    if exact.ids or titles:
        return exact
    return _ranked_visible(documents, words, wanted=wanted, near=True, titles=titles)


def _search_by_meaning(
    documents: QuerySet[SearchDocument],
    query: str,
    words: list[QueryWord],
    *,
    wanted: int,
) -> _Ranked | None:
    """Full text blended with meaning (``search.blend``) when the semantic
    extra is on and finds anything; None otherwise (full text alone)."""
    if not semantic.enabled():
        return None
    blended = blended_ranking(
        query=query,
        words=words,
        wanted=wanted,
        visible=lambda ids: _visible_among(documents, ids),
    )
    if not blended.ids:
        return None
    # Not complete: more documents matched a word than were ranked, which
    # are at least COUNT_CAP + 1 (``blend.LEXICAL_WINDOW``).
    return _Ranked(ids=blended.ids, complete=blended.complete, near=False, meaning=True)


def _load(ids: list[int]) -> list[SearchDocument]:
    """The documents ``ids``, in that order, with what their hits show."""
    rows = SearchDocument.objects.filter(pk__in=ids).select_related(
        "show", "episode", "episode__show", "audiobook"
    )
    by_id = {doc.pk: doc for doc in rows.only(*_HIT_FIELDS)}
    return [by_id[pk] for pk in ids if pk in by_id]


def _count(
    documents: QuerySet[SearchDocument], words: list[QueryWord], *, near: bool
) -> int:
    """Visible matches, counted to ``COUNT_CAP + 1`` at most."""
    matching = ids_matching_sql(words, near=near)
    if matching is None:
        return 0
    sql, params = matching
    # The engine's own SELECT, words as parameters.
    matching_ids = RawSQL(sql, params)  # noqa: S611
    capped = documents.filter(pk__in=matching_ids).values("pk")
    return capped[: COUNT_CAP + 1].count()


@dataclass(frozen=True)
class SearchPage:
    """One page of results; the count stops at ``COUNT_CAP``."""

    number: int
    count: int  # visible matches, COUNT_CAP at most
    count_capped: bool  # there are more than ``count``
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


@dataclass(frozen=True)
class SearchResults:
    query: str
    page: SearchPage | None
    hits: list[SearchHit]
    # New with each computation (a kept result keeps it): what a rendering
    # of these hits may be kept under.
    made: str = ""


def _page_number(value: str | int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def _key(*parts: object) -> tuple[object, ...]:
    """What a result depends on besides the index and the clock
    (``search.cache``): ``parts``, the page's length and count's cap, the
    snippet length, whether meaning is blended in and the page's language."""
    shape = (PER_PAGE, COUNT_CAP, snippet_chars(), semantic.enabled())
    return (*parts, *shape, get_language())


def search_results(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser | None,
    now: datetime,
    page_number: str | int = 1,
) -> SearchResults:
    """One page of hits for ``query``, ranked, ready to show: the page's
    hits and one more (is there a next page?), and a count that stops past
    ``COUNT_CAP``. A page past the last shows the last; pages stop at
    ``MAX_PAGE``. Kept under the index's version (``search.cache``)."""
    query = query.strip()[:200]
    words = query_words(query)
    if not words:
        return SearchResults(query=query, page=None, hits=[])
    may_hear = listening_rights(user=user, now=now).exclusive  # type: ignore[arg-type]
    number = _page_number(page_number)
    return results_cached(
        _key("page", query, number, may_hear),
        now=now,
        compute=lambda: _results(
            query, words, may_hear=may_hear, number=number, now=now
        ),
    )


def _results(
    query: str, words: list[QueryWord], *, may_hear: bool, number: int, now: datetime
) -> SearchResults:
    documents = _documents(may_hear_exclusive=may_hear, now=now)
    wanted = number * PER_PAGE + 1
    ranked = _search_by_meaning(documents, query, words, wanted=wanted)
    if ranked is None:
        ranked = _search(documents, words, wanted=wanted)
    if ranked.complete:
        count = len(ranked.ids)
        last = max(1, -(-count // PER_PAGE))
        number = min(number, last)
    elif ranked.meaning:
        count = max(len(ranked.ids), COUNT_CAP + 1)
    else:
        # Counted only when a page is computed: the result is kept (search.cache).
        count = _count(documents, words, near=ranked.near)
    start = (number - 1) * PER_PAGE
    shown = ranked.ids[start : start + PER_PAGE]
    page = SearchPage(
        number=number,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
        has_next=len(ranked.ids) > start + PER_PAGE and number < MAX_PAGE,
    )
    prefixes = marked_prefixes(words)
    hits = [_hit(doc, prefixes, may_hear=may_hear) for doc in _load(shown)]
    return SearchResults(query=query, page=page, hits=hits, made=uuid.uuid4().hex)


def search_hits_top(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser | None,
    now: datetime,
    limit: int = 8,
) -> list[SearchHit]:
    """The best ``limit`` of ``engines.TITLE_KINDS`` (shows, episodes, books)
    whose title has
    every word of ``query`` (the last one as a prefix, as all are), without
    counting the rest: what the header box shows while someone types."""
    query = query.strip()[:200]
    words = query_words(query)
    if not words:
        return []
    may_hear = listening_rights(user=user, now=now).exclusive  # type: ignore[arg-type]
    return results_cached(
        _key("top", tuple(words), limit, may_hear),
        now=now,
        compute=lambda: _hits_top(words, may_hear=may_hear, limit=limit, now=now),
    )


def _hits_top(
    words: list[QueryWord], *, may_hear: bool, limit: int, now: datetime
) -> list[SearchHit]:
    documents = _documents(may_hear_exclusive=may_hear, now=now)
    ranked = _search(documents, words, wanted=limit, titles=True)
    prefixes = marked_prefixes(words)
    docs = _load(ranked.ids[:limit])
    return [_hit(doc, prefixes, may_hear=may_hear) for doc in docs]
