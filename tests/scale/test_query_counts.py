"""The number of queries of each hot page, pinned, and the same for a show of
10 episodes and one of 200: a page that asked once per episode (or chapter,
or position) would grow with the show.

Each request comes cold (the show page's and feeds' kept copies cleared), as
the first visitor after a change sees it; the visitor is signed in before the
count starts. A change to a page that adds a query must change its number
here, on purpose.
"""

from __future__ import annotations

import pytest
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from tests.support.scale import HOT_PAGES, Page, scale_make

# Both databases, unless a page's number differs on PostgreSQL (below).
QUERIES = {
    "home": 3,
    "home signed in": 5,
    "show page": 9,
    "show page, a later page": 9,
    "show page signed in": 9,
    "episode page": 5,
    "browse": 5,
    "public feed": 9,
    "private feed": 13,
    "chapters file": 2,
    "library": 5,
    "progress read": 4,
    "progress write": 10,
    "episode report": 9,
    # Cold: the key of the kept table (memberships and stamps), then the
    # dashboard's own reads on the miss.
    "studio dashboard": 6,
    "studio episode list": 5,
    # Cold: the index version and the publications either side of now that a
    # kept result is checked against (search.cache), then the search itself.
    "search results": 6,
    "search results signed in": 9,
    "search suggest": 6,
}
POSTGRESQL_QUERIES: dict[str, int] = {}


def test_every_hot_page_has_its_number() -> None:
    assert sorted(QUERIES) == sorted(page.name for page in HOT_PAGES)


@pytest.mark.django_db
@pytest.mark.parametrize("episodes", [10, 200])
@pytest.mark.parametrize("page", HOT_PAGES, ids=lambda page: page.name)
def test_hot_page_queries_do_not_grow_with_the_show(
    page: Page, episodes: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    scale = scale_make(episodes=episodes)
    client = page.client(scale)
    expected = QUERIES[page.name]
    if connection.vendor == "postgresql":
        expected = POSTGRESQL_QUERIES.get(page.name, expected)

    with django_assert_num_queries(expected):
        status = page.send(client, scale)

    assert status == 200
