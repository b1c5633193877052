from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.catalog.services import episode_create
from ondas.catalog.services.lifecycle import episode_delete, episode_unpublish
from ondas.search.selectors import search_results
from ondas.search.services import search_reindex
from tests.search.conftest import NOW, PAST, Catalog, Commits
from tests.support.billing import subscribe
from tests.support.private_feeds import exclusive_plan_make


def _titles(query: str, *, user: User | None = None, now: datetime = NOW) -> list[str]:
    results = search_results(query=query, user=user, now=now)
    return [f"{hit.kind}:{hit.title}" for hit in results.hits]


def _urls(query: str, *, user: User | None = None) -> list[str]:
    return [hit.url for hit in search_results(query=query, user=user, now=NOW).hits]


def test_search_folds_accents_in_the_query(catalog: Catalog) -> None:
    assert "show:<mark>Análisis</mark> de sistemas" in _titles("analisis")


def test_search_folds_accents_in_the_text(catalog: Catalog) -> None:
    # "kernel" is written without accents; "núcleo" with one.
    assert any("Fallos de página" in t for t in _titles("kérnel"))
    assert any(t.startswith("show:") for t in _titles("nucleo"))


def test_search_matches_prefixes_and_common_endings(catalog: Catalog) -> None:
    # "Fallos" from "fall", "Servidores" from "servidor", "fallo" from "fallos".
    assert any("Fallos" in t for t in _titles("fall"))
    assert any(t.startswith("show:") for t in _titles("servidor"))
    assert any("<mark>fallo</mark>" in t or "Fallos" in t for t in _titles("fallos"))


def test_search_chapter_hit_links_to_its_second(catalog: Catalog) -> None:
    results = search_results(query="copy-on-write", user=None, now=NOW)
    chapter = next(hit for hit in results.hits if hit.kind == "chapter")
    assert chapter.url == "/shows/analisis-de-sistemas/fallos-de-pagina/?t=2070"
    assert chapter.start_seconds == 2070
    assert chapter.title == (
        "<mark>Copy</mark>-<mark>on</mark>-<mark>write</mark> en detalle"
    )
    assert chapter.context == "Fallos de página"


def test_search_transcript_hit_links_to_its_cue(catalog: Catalog) -> None:
    results = search_results(query="planificador", user=None, now=NOW)
    [hit] = results.hits
    assert hit.kind == "transcript"
    assert hit.url.endswith("/fallos-de-pagina/?t=720")
    assert hit.context == "El <mark>planificador</mark> del núcleo decide."


def test_search_exclusive_transcript_hidden_from_a_free_listener(
    catalog: Catalog, listener: User
) -> None:
    assert _titles("zanahoria") == []
    assert _titles("zanahoria", user=listener) == []
    # The episode itself shows, with the lock.
    [hit] = search_results(query="suscriptores", user=listener, now=NOW).hits
    assert hit.locked is True


def test_search_exclusive_transcript_shown_to_a_subscriber(
    catalog: Catalog, listener: User
) -> None:
    subscribe(listener, exclusive_plan_make(), now=NOW - timedelta(days=1))
    [hit] = search_results(query="zanahoria", user=listener, now=NOW).hits
    assert hit.kind == "transcript"
    assert hit.locked is False
    assert hit.context == "El secreto mejor guardado: <mark>zanahoria</mark>."


def test_search_exclusive_transcript_snippet_as_the_operator_sets(
    catalog: Catalog, settings: Settings
) -> None:
    settings.ONDAS_SEARCH_SNIPPET_CHARS = 12
    [hit] = search_results(query="zanahoria", user=None, now=NOW).hits
    assert hit.locked is True
    shown = hit.context.replace("<mark>", "").replace("</mark>", "").strip("…")
    assert len(shown) <= 12
    assert "<mark>zanahoria</mark>" in hit.context


def test_search_index_follows_create_and_edit(
    catalog: Catalog, committed: Commits
) -> None:
    with committed():
        episode = episode_create(
            show=catalog.show, guid="new", title="Memoria virtual", published_at=PAST
        )
    assert any("Memoria" in t for t in _titles("memoria virtual"))
    with committed():
        episode.title = "Memoria compartida"
        episode.save()
    assert _titles("virtual") == []
    assert any("compartida" in t for t in _titles("compartida"))


def test_search_index_follows_unpublish_and_delete(
    catalog: Catalog, committed: Commits
) -> None:
    assert _titles("planificador")
    with committed():
        episode_unpublish(episode=catalog.faults)
    assert _titles("planificador") == []
    assert _titles("copy-on-write") == []
    with committed():
        episode_delete(episode=catalog.exclusive)
    assert _titles("suscriptores") == []


def test_search_scheduled_episode_appears_when_its_time_comes(
    catalog: Catalog, committed: Commits
) -> None:
    with committed():
        episode_create(
            show=catalog.show, guid="later", title="Llega mañana", published_at=NOW
        )
    assert _titles("llega", now=NOW - timedelta(seconds=1)) == []
    assert _titles("llega", now=NOW) == ["episode:<mark>Llega</mark> mañana"]


def test_search_highlighting_escapes_html(catalog: Catalog, committed: Commits) -> None:
    with committed():
        episode_create(
            show=catalog.show,
            guid="xss",
            title="<script>alert(1)</script> ruido",
            published_at=PAST,
        )
    [hit] = search_results(query="ruido", user=None, now=NOW).hits
    assert hit.title == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>ruido</mark>"


def test_search_reindex_rebuilds_the_same_results(catalog: Catalog) -> None:
    queries = ["analisis", "copy-on-write", "planificador", "ana", "fallo"]
    before = {q: _titles(q) for q in queries}
    assert search_reindex() > 0
    assert {q: _titles(q) for q in queries} == before
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert "documents indexed." in out.getvalue()
    assert "[1/1] shows and audiobooks" in out.getvalue()
    assert {q: _titles(q) for q in queries} == before


def test_search_finds_people_and_audiobooks(demo_catalog: object) -> None:
    search_reindex()
    kinds = {
        hit.kind for hit in search_results(query="kernel", user=None, now=NOW).hits
    }
    assert "episode" in kinds
    book = search_results(query="bytes without copies", user=None, now=NOW).hits
    # PostgreSQL's stemming also finds the book's description ("copying").
    assert book[0].kind == "book_chapter"
    assert book[0].url == "/books/small-servers-big-audiences/?t=170"


def test_search_near_spelling_on_postgresql_only(catalog: Catalog) -> None:
    found = _titles("kernal")
    if connection.vendor == "postgresql":
        assert any("Fallos de página" in t for t in found)
    else:  # FTS5 has no similarity search: said in search.engines
        assert found == []


@pytest.mark.parametrize("query", ["", "   ", "-- ' \" * ( )", "NEAR(a b)", "a OR"])
def test_search_odd_queries_never_fail(catalog: Catalog, query: str) -> None:
    search_results(query=query, user=None, now=NOW)


def test_search_skips_a_show_a_feed_import_is_still_writing(
    catalog: Catalog, committed: Commits
) -> None:
    with committed():
        Show.objects.filter(pk=catalog.show.pk).update(importing=True)
    assert _titles("analisis") == []
    assert _titles("planificador") == []


def test_ondas_search_reindex_runs_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The command itself is tested above; running it through
    # execute_from_command_line would close the test's database connection.
    from django.core import management

    from ondas.ops.cli import main

    seen: list[list[str]] = []
    monkeypatch.setattr(management, "execute_from_command_line", seen.append)
    assert main(["search", "reindex"]) == 0
    assert seen == [["ondas search", "search_reindex"]]
