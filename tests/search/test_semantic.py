"""Semantic search (the ``semantic`` extra, installed for the suite): the
issue's demo queries, the blend, rights, the index following writes, and
the model loading with no network."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Chapter, Show
from ondas.catalog.services.lifecycle import episode_delete
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.search import semantic
from ondas.search.models import SearchDocument, SearchVector
from ondas.search.selectors import SearchHit, search_results
from ondas.search.services import search_reindex
from tests.search.conftest import NOW, Catalog, Commits
from tests.support.billing import subscribe
from tests.support.private_feeds import exclusive_plan_make

REPO = Path(__file__).resolve().parents[2]
FAULTS = "/shows/the-backend-engineering-show/cpu-and-kernel-page-faults/"
OUTAGE = "/shows/the-backend-engineering-show/amazon-us-east-1-outage-in-details/"


@pytest.fixture
def meaning(settings: Settings) -> None:
    settings.ONDAS_SEARCH_SEMANTIC = True
    settings.ONDAS_SEARCH_SEMANTIC_WEIGHT = 0.5


@pytest.fixture
def demo_index(meaning: None, demo_catalog: Show) -> Show:
    """The demo catalog, indexed with its vectors by ``ondas search reindex``'s code."""
    search_reindex()
    return demo_catalog


def _hits(query: str, *, user: User | None = None) -> list[SearchHit]:
    return search_results(query=query, user=user, now=NOW).hits


def _first_chapter(query: str) -> SearchHit:
    return next(hit for hit in _hits(query) if hit.kind == "chapter")


def test_semantic_paraphrase_finds_the_cow_chapter(demo_index: Show) -> None:
    hit = _first_chapter("where does he explain copy-on-write")
    assert hit.url == FAULTS + "?t=2070"
    assert hit.title == "CoW page fault"
    assert hit.start_seconds == 34 * 60 + 30
    # It is the best hit of all, above the episode the words describe.
    assert _hits("where does he explain copy-on-write")[0].url == FAULTS + "?t=2070"


def test_semantic_spanish_question_finds_the_dynamodb_chapter(
    demo_index: Show,
) -> None:
    hit = _first_chapter("cuándo se cayó DynamoDB")
    assert hit.url == OUTAGE + "?t=330"
    assert hit.title == "How did Dynamo lost its DNS?"


def test_semantic_plain_copy_on_write_reaches_the_chapter(demo_index: Show) -> None:
    hits = _hits("copy-on-write")
    urls = [hit.url for hit in hits]
    assert FAULTS + "?t=2070" in urls[:3]
    assert FAULTS in urls  # the episode, by its description, still there


def test_full_text_alone_copy_on_write_reaches_the_chapter_too(
    demo_catalog: Show,
) -> None:
    # Semantic off (the suite's default): the chapter's document holds what
    # its title abbreviates, so full text finds it by the long form.
    search_reindex()
    assert SearchVector.objects.count() == 0
    chapter = _first_chapter("copy-on-write")
    assert chapter.url == FAULTS + "?t=2070"
    assert chapter.title == "CoW page fault"


def test_semantic_vectors_for_episodes_and_chapters_only(demo_index: Show) -> None:
    kinds = set(
        SearchDocument.objects.filter(
            pk__in=SearchVector.objects.values("document_id")
        ).values_list("kind", flat=True)
    )
    assert kinds == {"episode", "chapter", "audiobook", "book_chapter"}
    chapters = Chapter.objects.filter(episode__show__in=Show.objects.all()).count()
    assert SearchVector.objects.filter(document__kind="chapter").count() == chapters
    stored = SearchVector.objects.filter(document__kind="chapter").first()
    assert stored is not None
    vector = np.frombuffer(bytes(stored.data), dtype="<f4")
    assert vector.shape == (semantic.DIMENSIONS,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_semantic_off_by_setting_leaves_full_text_results(
    demo_index: Show, settings: Settings
) -> None:
    settings.ONDAS_SEARCH_SEMANTIC = False
    # Full text wants every word: no chapter has all of these (PostgreSQL
    # drops "where does he" as English stop words, and finds the episode's
    # "explains"; SQLite finds nothing).
    hits = _hits("where does he explain copy-on-write")
    assert [hit.kind for hit in hits] in ([], ["episode"])
    assert _hits("cuándo se cayó DynamoDB") == []


def test_semantic_weight_zero_finds_by_words_alone(
    demo_index: Show, settings: Settings
) -> None:
    settings.ONDAS_SEARCH_SEMANTIC_WEIGHT = 0.0
    # "cuándo" and "se" are left out of the OR; "DynamoDB" is in the outage
    # episode's description and in its chapter's long form, and nothing found
    # by meaning alone (the Spanish show's episodes) is shown.
    urls = {hit.url for hit in _hits("cuándo se cayó DynamoDB")}
    assert urls == {OUTAGE, OUTAGE + "?t=330"}


def test_semantic_weight_one_finds_by_meaning_alone(
    demo_index: Show, settings: Settings
) -> None:
    settings.ONDAS_SEARCH_SEMANTIC_WEIGHT = 1.0
    hits = _hits("cuándo se cayó DynamoDB")
    # Shows and people have no vector: at weight 1 words alone find nothing.
    assert hits
    assert all(
        hit.kind in ("episode", "chapter", "audiobook", "book_chapter") for hit in hits
    )


@pytest.fixture
def catalog_with_meaning(meaning: None, catalog: Catalog) -> Catalog:
    search_reindex()
    return catalog


def test_semantic_transcript_cues_get_vectors(catalog_with_meaning: Catalog) -> None:
    cues = SearchDocument.objects.filter(kind="transcript")
    assert cues.count() == 3
    assert SearchVector.objects.filter(document__in=cues).count() == 3


def test_semantic_exclusive_cue_not_shown_without_rights(
    catalog_with_meaning: Catalog, listener: User
) -> None:
    # The cue is the nearest meaning there is; still hidden from these two.
    for user in (None, listener):
        hits = _hits("el secreto mejor guardado", user=user)
        assert all(hit.kind != "transcript" for hit in hits)
        assert all("zanahoria" not in hit.context for hit in hits)


def test_semantic_exclusive_cue_shown_to_a_subscriber(
    catalog_with_meaning: Catalog, listener: User
) -> None:
    subscribe(listener, exclusive_plan_make(), now=NOW - timedelta(days=1))
    hits = _hits("el secreto mejor guardado", user=listener)
    assert hits[0].kind == "transcript"
    assert "zanahoria" in hits[0].context
    assert hits[0].url.endswith("/episodio-para-suscriptores/?t=100")


def test_semantic_index_follows_an_upload_and_a_delete(
    meaning: None, catalog: Catalog, committed: Commits
) -> None:
    cues = "WEBVTT\n\n00:20:00.000 --> 00:20:04.000\nThe garbage collector pauses.\n"
    with committed():
        episode_transcript_upload(
            episode=catalog.exclusive, name="gc.vtt", data=cues.encode()
        )
    cue = SearchDocument.objects.get(body="The garbage collector pauses.")
    assert SearchVector.objects.filter(document=cue).exists()
    faults = catalog.faults.pk
    assert SearchVector.objects.filter(document__episode_id=faults).exists()
    with committed():
        episode_delete(episode=catalog.faults)
    assert not SearchDocument.objects.filter(episode_id=faults).exists()
    assert not SearchVector.objects.filter(document__episode_id=faults).exists()
    assert all(hit.kind != "chapter" for hit in _hits("copy-on-write"))


def test_semantic_matrix_loads_new_vectors_only(
    catalog_with_meaning: Catalog, committed: Commits
) -> None:
    before = semantic.similarities("núcleo")
    cues = "WEBVTT\n\n00:20:00.000 --> 00:20:04.000\nEl recolector de basura.\n"
    with committed():
        episode_transcript_upload(
            episode=catalog_with_meaning.faults, name="gc.vtt", data=cues.encode()
        )
    after = semantic.similarities("recolector de basura")
    cue = SearchDocument.objects.get(body="El recolector de basura.")
    assert cue.pk in after.of([cue.pk])
    assert list(after.best(limit=1, minimum=0.5)) == [cue.pk]
    assert len(after.ids) >= len(before.ids) + 1
    assert list(after.ids) == sorted(after.ids)


def test_semantic_model_loads_with_no_network() -> None:
    """The weights come from the wheel: loading it in a fresh process whose
    sockets all refuse, and with Hugging Face's hub told to stay offline,
    works and embeds."""
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "import django\n"
        "django.setup()\n"
        "from ondas.search import semantic\n"
        "v = semantic.embed(['copy-on-write'])\n"
        "print(v.shape)\n"
    )
    env: dict[str, Any] = {
        "PYTHONPATH": str(REPO / "src"),
        "DJANGO_SETTINGS_MODULE": "ondas.settings",
        "HF_HUB_OFFLINE": "1",
        "HOME": "/nonexistent",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"(1, {semantic.DIMENSIONS})"


def test_semantic_search_page_links_the_chapter_at_its_second(
    demo_index: Show, client: Client, django_assert_num_queries: Any
) -> None:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "es"
    semantic.similarities("warm")  # the matrix loaded: what every later search finds
    # The documents' version and the publications either side of now (two
    # reads, search.cache), the index state, the any-word ranking, visibility
    # of the candidates, the 20 hits with their episodes (anonymous: no
    # rights to read).
    question = {"q": "where does he explain copy-on-write"}
    with django_assert_num_queries(7):
        response = client.get("/search/", question)
    # Asked again: the kept result, under the same version.
    with django_assert_num_queries(1):
        again = client.get("/search/", question)
    page = response.content.decode()
    assert f'href="{FAULTS}?t=2070"' in again.content.decode()
    assert response.status_code == 200
    assert f'href="{FAULTS}?t=2070"' in page
    assert "34:30" in page
