"""The index written in bulk (``search.bulk``) holds what Django's
``bulk_create`` wrote, row for row, and finds the same things."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np
import pytest
from django.test import override_settings

from ondas.catalog.models import Show
from ondas.search import semantic
from ondas.search.bulk import documents_insert
from ondas.search.expansions import chapter_expansions, prepare
from ondas.search.models import SearchDocument, SearchVector
from ondas.search.selectors import search_results
from ondas.search.services import search_index_show, search_reindex
from ondas.search.text import fold
from tests.search.conftest import NOW

QUERIES = (
    "fallo de página",
    "copy on write",
    "planificador",
    "kernel",
    "Ana Pérez",
    "DynamoDB DNS",
    "page faults",
    "graceful shutdown",
    "zanahoria",
)


def _rows() -> list[tuple[object, ...]]:
    """Every document as its values, and its vector, in id order."""
    vectors = dict(SearchVector.objects.values_list("document_id", "data"))
    return [
        (*values[1:], bytes(vectors[values[0]]) if values[0] in vectors else None)
        for values in SearchDocument.objects.order_by("pk").values_list(
            "pk",
            "kind",
            "show_id",
            "episode_id",
            "audiobook_id",
            "title",
            "body",
            "folded",
            "config",
            "start_seconds",
            "source",
        )
    ]


def _results() -> list[list[tuple[str, str, str, int | None]]]:
    return [
        [
            (hit.kind, str(hit.title), hit.url, hit.start_seconds)
            for hit in search_results(query=query, user=None, now=NOW).hits
        ]
        for query in QUERIES
    ]


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put back the writes the bulk path replaced: ``bulk_create``."""

    def documents(fresh: Sequence[SearchDocument]) -> None:
        SearchDocument.objects.bulk_create(fresh, batch_size=500)

    def vectors(rows: Sequence[tuple[int, bytes]]) -> None:
        SearchVector.objects.bulk_create(
            [SearchVector(document_id=pk, data=data) for pk, data in rows]
        )

    monkeypatch.setattr("ondas.search.services.documents_insert", documents)
    monkeypatch.setattr("ondas.search.semantic.vectors_insert", vectors)


@pytest.mark.parametrize("meaning", [False, True], ids=["full-text", "semantic"])
def test_bulk_index_matches_bulk_create(
    demo_catalog: Show, monkeypatch: pytest.MonkeyPatch, meaning: bool
) -> None:
    with override_settings(ONDAS_SEARCH_SEMANTIC=meaning):
        search_reindex()
        bulk_rows, bulk_results = _rows(), _results()
        with monkeypatch.context() as patched:
            _one_by_one(patched)
            search_reindex()
            reference_rows, reference_results = _rows(), _results()

    assert len(bulk_rows) > 50
    assert bulk_rows == reference_rows
    assert bulk_results == reference_results
    assert any(bulk_results), "the queries find nothing: the test proves nothing"
    if meaning:
        assert all(row[-1] is not None for row in bulk_rows if row[0] == "chapter")


def test_bulk_index_sets_the_ids_the_database_gave(demo_catalog: Show) -> None:
    search_reindex()
    search_index_show(show_id=demo_catalog.pk)
    found = SearchDocument.objects.filter(show=demo_catalog, kind="chapter")
    for document in found:
        assert SearchDocument.objects.get(pk=document.pk).title == document.title
    with override_settings(ONDAS_SEARCH_SEMANTIC=True):
        search_index_show(show_id=demo_catalog.pk)
        # Each vector belongs to its own document's text.
        chapters = SearchDocument.objects.filter(show=demo_catalog, kind="chapter")
        assert chapters.count() >= 5
        for document in chapters[:5]:
            stored = SearchVector.objects.get(document_id=document.pk).data
            text = f"{document.title} {document.body}".strip()
            expected = semantic.embed([text])[0]
            got = np.frombuffer(bytes(stored), dtype="<f4")
            assert np.allclose(got, expected, atol=1e-6)


@pytest.mark.django_db
def test_vectors_write_embeds_each_distinct_text_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[str]] = []
    real = semantic.embed

    def counting(texts: list[str]) -> np.ndarray:
        seen.append(list(texts))
        return real(texts)

    monkeypatch.setattr(semantic, "embed", counting)
    show = Show.objects.create(title="Repetido", slug="repetido")
    documents = [
        SearchDocument(kind="chapter", show=show, title=title, config="simple")
        for title in ("Intro", "News", "Intro", "Intro", "News")
    ]
    documents_insert(documents)
    with override_settings(ONDAS_SEARCH_SEMANTIC=True):
        assert semantic.vectors_write(documents) == 5
    assert seen == [["Intro", "News"]]
    data = {
        pk: bytes(d)
        for pk, d in SearchVector.objects.values_list("document_id", "data")
    }
    assert data[documents[0].pk] == data[documents[2].pk] == data[documents[3].pk]
    assert data[documents[0].pk] != data[documents[1].pk]


@pytest.mark.parametrize(
    "text",
    ["Copy-on-write", "CoW page FAULT", "plain ascii 12:30", "Straße", "Análisis", ""],
)
def test_fold_ascii_shortcut_matches_the_unicode_path(text: str) -> None:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    slow = "".join(c for c in decomposed if not unicodedata.combining(c))
    assert fold(text) == slow


def test_chapter_expansions_prepared_once_match_plain_text() -> None:
    text = (
        "Cómo el kernel resuelve un page fault copy-on-write; la VMA, "
        "DynamoDB's DNS record y el Domain Name System."
    )
    prepared = prepare(text)
    for title in ("CoW page fault", "How did Dynamo lost its DNS?", "VMA", "Intro"):
        assert chapter_expansions(title, prepared) == chapter_expansions(title, text)
    assert chapter_expansions("CoW", prepared) == "copy-on-write"
