"""Without the ``semantic`` extra (its package hidden from imports), search
is full text alone, indexing writes no vectors, and no page says that
anything is missing."""

from __future__ import annotations

import sys

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.services import episode_create, show_create
from ondas.search import semantic
from ondas.search.models import SearchIndexState, SearchVector
from tests.search.conftest import PAST, Commits


@pytest.fixture
def no_extra(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.ONDAS_SEARCH_SEMANTIC = True  # asked for, but not installed
    # A None in sys.modules makes `import wordllama` fail, as when absent.
    monkeypatch.setitem(sys.modules, "wordllama", None)


def _page(client: Client, query: str, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_search_without_the_extra_is_full_text(
    no_extra: None, db: None, committed: Commits, client: Client
) -> None:
    assert semantic.installed() is False
    assert semantic.enabled() is False
    with committed():
        show = show_create(title="Kernel Notes", author="Ana", language="en")
        episode_create(
            show=show,
            guid="faults",
            title="Page faults",
            published_at=PAST,
            duration_seconds=3600,
            description="<p>Stack growth and copy-on-write faults.</p>",
            chapters=[ChapterInput(start_seconds=2070, title="CoW page fault")],
        )
    assert SearchVector.objects.count() == 0
    # No vectors were written: their tokens were never set (the documents'
    # own token, search.cache, changes with every write).
    assert not SearchIndexState.objects.exclude(version="", generation="").exists()

    page = _page(client, "copy-on-write", "en")
    assert 'href="/shows/kernel-notes/page-faults/?t=2070"' in page
    assert "2 results" in page
    # A question full text cannot answer: the usual empty page, nothing more.
    for language, empty in (
        ("en", "Nothing matches those words."),
        ("es", "Nada coincide con esas palabras."),
    ):
        page = _page(client, "where does he explain copy-on-write", language)
        assert empty in page
        for word in ("semantic", "semántic", "wordllama", "install", "extra"):
            assert word not in page.lower()
