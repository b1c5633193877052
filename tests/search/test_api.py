"""Search through the JSON API (``GET /api/v1/search``): the page's hits with
their second, plain and marked text, the lock and hidden exclusive cues, a
cursor across pages, and refusals in the API's one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ondas.accounts.models import User
from ondas.catalog.models import Episode
from ondas.catalog.services import episode_create
from ondas.search.selectors import PER_PAGE
from tests.api.conftest import bearer, token_for
from tests.search.conftest import PAST, Catalog, Commits
from tests.support.billing import subscribe
from tests.support.private_feeds import exclusive_plan_make


def _search(client: Client, query: str, **extra: Any) -> Any:
    response = client.get("/api/v1/search", {"q": query}, **extra)
    assert response.status_code == 200, response.content
    return response.json()


def test_api_search_chapter_hit_carries_its_second(catalog: Catalog) -> None:
    body = _search(Client(), "copy-on-write")
    chapter = next(hit for hit in body["items"] if hit["kind"] == "chapter")
    assert chapter["url"] == (
        "http://testserver/shows/analisis-de-sistemas/fallos-de-pagina/?t=2070"
    )
    assert chapter["start_seconds"] == 2070
    assert chapter["title"] == "Copy-on-write en detalle"
    assert chapter["title_html"].startswith("<mark>Copy</mark>-<mark>on</mark>")
    assert chapter["context"] == "Fallos de página"
    assert chapter["locked"] is False
    assert body["count"] == len(body["items"])
    assert body["next"] is None


def test_api_search_hides_exclusive_cues_but_not_from_a_subscriber(
    catalog: Catalog, listener: User
) -> None:
    assert _search(Client(), "zanahoria")["items"] == []
    [locked] = _search(Client(), "suscriptores")["items"]
    assert locked["locked"] is True

    subscribe(listener, exclusive_plan_make())
    auth = bearer(token_for(listener, "read"))
    [cue] = _search(Client(), "zanahoria", **auth)["items"]
    assert cue["kind"] == "transcript"
    assert cue["locked"] is False
    assert cue["context"] == "El secreto mejor guardado: zanahoria."


def test_api_search_walks_pages_by_cursor(catalog: Catalog, committed: Commits) -> None:
    with committed():
        for n in range(PER_PAGE + 5):
            episode_create(
                show=catalog.show,
                guid=f"many-{n}",
                title=f"Tornillo {n}",
                published_at=PAST,
                access=Episode.Access.FREE,
            )
    client = Client()
    first = _search(client, "tornillo")
    assert len(first["items"]) == PER_PAGE
    assert first["count"] == PER_PAGE + 5
    assert first["next"]
    second = client.get("/api/v1/search", {"q": "tornillo", "cursor": first["next"]})
    rest = second.json()
    assert len(rest["items"]) == 5
    assert rest["next"] is None
    titles = [hit["title"] for hit in first["items"] + rest["items"]]
    assert len(set(titles)) == PER_PAGE + 5


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"q": "x", "cursor": "not-a-cursor"}, 400, "cursor"),
        ({"q": "x", "cursor": "WzEsMl0"}, 400, "cursor"),  # [1,2]
        ({}, 422, "q"),
        ({"q": ""}, 422, "q"),
        ({"q": "x" * 201}, 422, "q"),
    ],
)
def test_api_search_refusals_name_the_field(
    catalog: Catalog, params: dict[str, str], status: int, field: str
) -> None:
    response = Client().get("/api/v1/search", params)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"]


def test_api_search_of_no_words_is_empty(catalog: Catalog) -> None:
    assert _search(Client(), "¿?") == {
        "items": [],
        "next": None,
        "count": 0,
        "count_capped": False,
    }
