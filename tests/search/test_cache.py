"""Kept results (``search.cache``): found again under the same index version,
never across a write, a publication time or a listener's rights."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import Client

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.catalog.services import episode_create
from ondas.catalog.services.lifecycle import episode_unpublish
from ondas.search.cache import index_version
from ondas.search.selectors import search_hits_top, search_results
from ondas.search.services import search_reindex
from tests.search.conftest import NOW, PAST, Catalog, Commits
from tests.support.billing import subscribe
from tests.support.private_feeds import exclusive_plan_make


def _kinds(query: str, *, user: User | None = None, now: Any = NOW) -> list[str]:
    return [hit.kind for hit in search_results(query=query, user=user, now=now).hits]


def test_search_results_kept_answer_without_searching_again(
    catalog: Catalog, django_assert_num_queries: Any
) -> None:
    first = search_results(query="planificador", user=None, now=NOW)
    # The version alone: no ranking, no visibility, no rows loaded.
    with django_assert_num_queries(1):
        again = search_results(query="planificador", user=None, now=NOW)
    assert again == first
    assert [hit.kind for hit in again.hits] == ["transcript"]


def test_search_results_kept_change_when_an_episode_is_edited(
    catalog: Catalog, committed: Commits
) -> None:
    assert _kinds("tornado") == []
    before = index_version()
    with committed():
        catalog.faults.title = "Fallos de página en un tornado"
        catalog.faults.save()
    assert index_version() != before
    assert _kinds("tornado") == ["episode"]


def test_search_results_kept_change_when_an_episode_is_unpublished(
    catalog: Catalog, committed: Commits
) -> None:
    assert _kinds("planificador") == ["transcript"]
    with committed():
        episode_unpublish(episode=catalog.faults)
    assert _kinds("planificador") == []


def test_search_results_kept_change_when_a_feed_import_hides_the_show(
    catalog: Catalog, committed: Commits
) -> None:
    assert _kinds("planificador") == ["transcript"]
    with committed():
        Show.objects.filter(pk=catalog.show.pk).update(importing=True)
    assert _kinds("planificador") == []


def test_search_results_kept_change_after_a_reindex(catalog: Catalog) -> None:
    before = index_version()
    search_reindex()
    assert index_version() != before


def test_search_exclusive_cue_kept_for_a_subscriber_stays_hidden_from_others(
    catalog: Catalog, listener: User, user: User
) -> None:
    subscribe(listener, exclusive_plan_make(), now=NOW - timedelta(days=1))
    [hit] = search_results(query="zanahoria", user=listener, now=NOW).hits
    assert hit.kind == "transcript"
    # The same words, page and version: the rights are in the key.
    assert _kinds("zanahoria") == []
    assert _kinds("zanahoria", user=user) == []  # signed in, no plan
    assert search_hits_top(query="zanahoria", user=None, now=NOW) == []
    # And the other way round: what an anonymous listener was shown first
    # does not hide the cue from the subscriber.
    assert _kinds("secreto") == []
    assert _kinds("secreto", user=listener) == ["transcript"]


def test_search_kept_result_not_used_once_a_scheduled_episode_is_out(
    catalog: Catalog, committed: Commits
) -> None:
    with committed():
        episode_create(
            show=catalog.show, guid="later", title="Llega mañana", published_at=NOW
        )
    earlier = NOW - timedelta(seconds=1)
    assert _kinds("llega", now=earlier) == []
    assert [
        h.kind for h in search_hits_top(query="llega", user=None, now=earlier)
    ] == []
    # No write in between: the clock alone publishes it.
    assert _kinds("llega", now=NOW) == ["episode"]
    assert [h.kind for h in search_hits_top(query="llega", user=None, now=NOW)] == [
        "episode"
    ]
    # And back before its time (a clock a test moves), hidden again.
    assert _kinds("llega", now=earlier) == []
    assert _kinds("fallos", now=PAST - timedelta(days=1)) == []


def test_search_suggest_kept_change_when_a_title_changes(
    catalog: Catalog, committed: Commits, client: Client
) -> None:
    assert client.get("/search/suggest/", {"q": "huracan"}).json()["results"] == []
    with committed():
        catalog.faults.title = "Huracán de fallos"
        catalog.faults.save()
    found = client.get("/search/suggest/", {"q": "huracan"}).json()["results"]
    assert [hit["kind"] for hit in found] == ["episode"]


def test_search_page_kept_per_language(catalog: Catalog, client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "1 result" in client.get("/search/?q=planificador").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert "1 resultado" in client.get("/search/?q=planificador").content.decode()


def test_search_page_rendering_kept_changes_with_the_results(
    catalog: Catalog, committed: Commits, client: Client
) -> None:
    first = client.get("/search/?q=fallos").content.decode()
    assert "<mark>Fallos</mark> de página</a>" in first
    assert client.get("/search/?q=fallos").content.decode().count("tornado") == 0
    with committed():
        catalog.faults.title = "Fallos de página en un tornado"
        catalog.faults.save()
    page = client.get("/search/?q=fallos").content.decode()
    assert "<mark>Fallos</mark> de página en un tornado</a>" in page
