from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from ondas.catalog.models import Episode
from ondas.catalog.services import episode_create
from ondas.search.selectors import PER_PAGE
from tests.search.conftest import PAST, Catalog, Commits


def _get(client: Client, url: str, language: str = "en") -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_search_page_shows_hits_highlighted(client: Client, catalog: Catalog) -> None:
    page = _get(client, "/search/?q=analisis")
    assert "Results for “analisis”" in page
    assert "<mark>Análisis</mark> de sistemas" in page
    assert 'href="/shows/analisis-de-sistemas/"' in page


def test_search_page_in_spanish(client: Client, catalog: Catalog) -> None:
    page = _get(client, "/search/?q=planificador", "es")
    assert "Resultados de «planificador»" in page
    assert "1 resultado" in page


def test_search_page_without_hits(client: Client, catalog: Catalog) -> None:
    page = _get(client, "/search/?q=zzzz")
    assert "Nothing matches those words." in page


def test_search_chapter_hit_opens_the_player_at_its_second(
    client: Client, catalog: Catalog
) -> None:
    page = _get(client, "/search/?q=copy-on-write")
    url = "/shows/analisis-de-sistemas/fallos-de-pagina/?t=2070"
    assert f'href="{url}"' in page
    assert "34:30" in page
    episode_page = _get(client, url)
    # What player.js reads to start there (its browser test covers the seek).
    assert 'data-start-at="2070"' in episode_page


def test_search_page_escapes_html_in_titles(
    client: Client, catalog: Catalog, committed: Commits
) -> None:
    with committed():
        episode_create(
            show=catalog.show,
            guid="xss",
            title="<script>alert(1)</script> ruido",
            published_at=PAST,
        )
    page = _get(client, "/search/?q=ruido")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>ruido</mark>" in page


def test_search_page_hides_exclusive_transcript_from_anonymous(
    client: Client, catalog: Catalog
) -> None:
    page = _get(client, "/search/?q=zanahoria")
    assert "zanahoria</mark>" not in page
    page = _get(client, "/search/?q=suscriptores")
    assert "Exclusive: for subscribers" in page


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("url", ["/", "/books/", "/search/?q=x", "/plans/"])
def test_header_search_box_on_every_page(
    client: Client, demo_catalog: object, language: str, url: str
) -> None:
    page = _get(client, url, language)
    form = re.search(r'<form class="site-search"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None
    assert 'action="/search/"' in form.group(0)
    assert 'name="q"' in form.group(1)
    label = "Buscar" if language == "es" else "Search"
    assert f'placeholder="{label}"' in form.group(1)


def test_header_search_box_on_show_and_episode_pages(
    client: Client, catalog: Catalog
) -> None:
    for url in [
        "/shows/analisis-de-sistemas/",
        "/shows/analisis-de-sistemas/fallos-de-pagina/",
    ]:
        assert 'class="site-search"' in _get(client, url, "es")


def test_search_page_queries_do_not_grow_with_hits(
    client: Client,
    catalog: Catalog,
    committed: Commits,
    django_assert_max_num_queries: type[DjangoAssertNumQueries],
) -> None:
    with committed():
        for n in range(PER_PAGE + 5):
            episode_create(
                show=catalog.show,
                guid=f"many-{n}",
                title=f"Tornillo {n}",
                published_at=PAST,
                access=Episode.Access.EXCLUSIVE if n % 2 else Episode.Access.FREE,
            )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_assert_max_num_queries(8):
        response = client.get("/search/?q=tornillo")
    page = response.content.decode()
    assert page.count('class="search-hit ') == PER_PAGE
    assert "?q=tornillo&amp;page=2" in page


def test_search_suggest_answers_json(client: Client, catalog: Catalog) -> None:
    response = client.get("/search/suggest/?q=fallos de pag")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    [hit] = response.json()["results"]
    assert hit["kind"] == "episode"
    assert hit["url"] == "/shows/analisis-de-sistemas/fallos-de-pagina/"
    assert hit["title"] == "<mark>Fallos</mark> <mark>de</mark> <mark>página</mark>"
    assert hit["start_seconds"] is None
    assert hit["locked"] is False


def test_search_suggest_titles_only(client: Client, catalog: Catalog) -> None:
    """Shows, episodes and books by their titles: no chapter, cue, person or
    description, all of which the results page finds."""
    for query in ["copy-on", "planificador", "Ana Pérez", "servidores"]:
        assert client.get(f"/search/suggest/?q={query}").json() == {"results": []}
        assert "<mark>" in _get(client, f"/search/?q={query}")
    [hit] = client.get("/search/suggest/?q=analis").json()["results"]
    assert hit["kind"] == "show"
    [hit] = client.get("/search/suggest/?q=suscriptores").json()["results"]
    assert hit["locked"] is True


def test_search_suggest_empty_query_and_exclusive_cues(
    client: Client, catalog: Catalog
) -> None:
    assert client.get("/search/suggest/?q=").json() == {"results": []}
    assert client.get("/search/suggest/?q=zanahoria").json() == {"results": []}
    assert client.post("/search/suggest/?q=x").status_code == 405
