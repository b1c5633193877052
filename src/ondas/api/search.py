"""Search, as the site's results page has it: shows, episodes, books,
chapters and transcript lines, ranked, each hit with the second it starts at.

The same selector as the page (``search.selectors.search_results``), so the
same rights: exclusive items show with ``locked`` set, and their transcript
lines only for who may hear them. Pages are numbered underneath; the cursor
hides that, as everywhere else in the API.
"""

from __future__ import annotations

import html

from django.http import HttpRequest
from django.utils.html import strip_tags
from ninja import Field, Query, Router, Schema

from ondas.api.auth import caller
from ondas.api.errors import ERROR_RESPONSES
from ondas.api.pagination import page_cursor, page_from_cursor
from ondas.api.schemas import Page
from ondas.core import clock
from ondas.search.selectors import SearchHit, search_results

router = Router(tags=["search"])


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200)
    cursor: str | None = Field(None, max_length=100)


class SearchHitOut(Schema):
    kind: str
    title: str
    title_html: str  # escaped, the matched words in <mark>
    context: str
    context_html: str
    url: str  # on the site; a chapter or a transcript line with ``?t=``
    show_title: str
    start_seconds: int | None
    locked: bool


class SearchPage(Page):
    items: list[SearchHitOut]
    count: int
    count_capped: bool  # there are more than ``count``


def _plain(marked: str) -> str:
    return html.unescape(strip_tags(marked))


def _hit(request: HttpRequest, hit: SearchHit) -> SearchHitOut:
    return SearchHitOut(
        kind=hit.kind,
        title=_plain(hit.title),
        title_html=str(hit.title),
        context=_plain(hit.context),
        context_html=str(hit.context),
        url=request.build_absolute_uri(hit.url),
        show_title=hit.show_title,
        start_seconds=hit.start_seconds,
        locked=hit.locked,
    )


@router.get("/search", response={200: SearchPage, **ERROR_RESPONSES})
def search_api(request: HttpRequest, query: Query[SearchQuery]) -> SearchPage:
    """Hits for ``q``, best first, a page at a time."""
    number = page_from_cursor(query.cursor) if query.cursor else 1
    results = search_results(
        query=query.q, user=caller(request), now=clock.now(), page_number=number
    )
    page = results.page
    if page is None:  # no word to search for
        return SearchPage(items=[], next=None, count=0, count_capped=False)
    return SearchPage(
        items=[_hit(request, hit) for hit in results.hits],
        next=page_cursor(page.next_page_number) if page.has_next else None,
        count=page.count,
        count_capped=page.count_capped,
    )
