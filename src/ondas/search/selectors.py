"""Reads of the search index: the hits a listener may see, with what to show.

Every hit is a document a listener may see now: a show (once no feed import
is still writing it), an audiobook or a person always; anything of an episode only while the episode is listed
(``catalog.visibility``: published and its time come), so unpublishing,
deleting and scheduling need no work on the index. Exclusive episodes show
for everyone, locked; their transcript cues are matched only for a listener
who may hear them, or, for others, when ``ONDAS_SEARCH_SNIPPET_CHARS`` (0, the
default, means not at all) lets them see that many characters of a cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from ondas.billing.selectors import listening_rights
from ondas.catalog.models import Access
from ondas.catalog.visibility import episode_listed_q
from ondas.search.engines import documents_matching
from ondas.search.models import SearchDocument
from ondas.search.text import highlight, marked_prefixes, query_words

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


def search_documents(
    *, query: str, may_hear_exclusive: bool, now: datetime, near: bool = False
) -> QuerySet[SearchDocument]:
    """The documents matching ``query`` that a listener who may (or may not)
    hear exclusive episodes may see at ``now``, best first; ``near``: those
    spelled nearly like it instead (the callers ask for them when the exact
    words find nothing).

    The callers find out from the page or the hits they read anyway, not from
    a query of its own: ``exists()`` (a LIMIT 1) was planned by PostgreSQL as
    a sequential scan of the documents, which reads all of them when nothing
    matches (tests/scale/test_explain.py)."""
    words = query_words(query)
    if not words:
        return SearchDocument.objects.none()
    documents = SearchDocument.objects.filter(
        _visible(may_hear_exclusive=may_hear_exclusive, now=now)
    ).select_related("show", "episode", "episode__show", "audiobook")
    return documents_matching(documents, words, near=near)


@dataclass(frozen=True)
class SearchResults:
    query: str
    page: Page[SearchDocument] | None
    hits: list[SearchHit]


def search_results(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser | None,
    now: datetime,
    page_number: str | int = 1,
) -> SearchResults:
    """One page of hits for ``query``, ranked, ready to show."""
    query = query.strip()[:200]
    words = query_words(query)
    if not words:
        return SearchResults(query=query, page=None, hits=[])
    may_hear = listening_rights(user=user, now=now).exclusive  # type: ignore[arg-type]
    for near in (False, True):
        documents = search_documents(
            query=query, may_hear_exclusive=may_hear, now=now, near=near
        )
        page = Paginator(documents, PER_PAGE).get_page(page_number)
        if page.paginator.count:
            break
    prefixes = marked_prefixes(words)
    hits = [_hit(doc, prefixes, may_hear=may_hear) for doc in page]
    return SearchResults(query=query, page=page, hits=hits)


def search_hits_top(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser | None,
    now: datetime,
    limit: int = 8,
) -> list[SearchHit]:
    """The best ``limit`` hits for ``query``, without counting the rest: what
    the header box shows while someone types."""
    query = query.strip()[:200]
    words = query_words(query)
    if not words:
        return []
    may_hear = listening_rights(user=user, now=now).exclusive  # type: ignore[arg-type]
    found: list[SearchDocument] = []
    for near in (False, True):
        documents = search_documents(
            query=query, may_hear_exclusive=may_hear, now=now, near=near
        )
        found = list(documents[:limit])
        if found:
            break
    prefixes = marked_prefixes(words)
    return [_hit(doc, prefixes, may_hear=may_hear) for doc in found]
