from __future__ import annotations

from django.conf import settings
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from ondas.catalog.models import Show


def _page(client: Client, url: str, language: str = "en") -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_browse_lists_the_categories_and_languages_in_use(
    client: Client, demo_catalog: Show, small_show: Show
) -> None:
    page = _page(client, "/browse/")
    assert 'href="?category=technology"' in page
    assert 'href="?category=news"' in page
    assert 'href="?category=news-tech-news"' in page  # a subcategory
    assert 'href="?language=en"' in page
    assert 'href="?language=es"' in page
    assert "Pequeño Show" in page


def test_browse_by_subcategory_and_its_parent(
    client: Client, demo_catalog: Show, small_show: Show
) -> None:
    assert "Pequeño Show" in _page(client, "/browse/?category=news-tech-news")
    news = _page(client, "/browse/?category=news")
    assert "Pequeño Show" in news
    assert demo_catalog.title not in news


def test_browse_by_language(
    client: Client, demo_catalog: Show, small_show: Show
) -> None:
    # The small show is es-MX: its primary language is Spanish.
    spanish = _page(client, "/browse/?language=es", "es")
    assert "Pequeño Show" in spanish
    assert demo_catalog.title not in spanish
    assert "Todos los idiomas" in spanish
    english = _page(client, "/browse/?language=en")
    assert demo_catalog.title in english
    assert "Pequeño Show" not in english


def test_browse_unknown_category_is_empty(client: Client, small_show: Show) -> None:
    assert "No shows here yet." in _page(client, "/browse/?category=nope")


def test_browse_queries_do_not_grow_with_shows(
    client: Client,
    demo_catalog: Show,
    small_show: Show,
    django_assert_max_num_queries: type[DjangoAssertNumQueries],
) -> None:
    with django_assert_max_num_queries(10):
        client.get("/browse/")
