"""Pages of results cut from a window the engine ranks, against the whole
ranking filtered the plain way; and the count that stops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client

from ondas.catalog.models import Episode
from ondas.catalog.services import episode_create
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.search import selectors
from ondas.search.engines import ids_ranked
from ondas.search.models import SearchDocument
from ondas.search.selectors import search_results
from ondas.search.text import query_words
from tests.search.conftest import NOW, PAST, Catalog, Commits

EPISODES = 30
# Still to come by the test clock (NOW) and by the views' (the real one).
LATER = NOW + timedelta(days=3650)


@pytest.fixture
def screws(catalog: Catalog, committed: Commits) -> Catalog:
    """Thirty episodes that match "tornillo" one to five times (so ranks
    differ and tie); every third exclusive with a matching cue, hidden from
    a free listener; every seventh published only LATER, hidden too."""
    with committed():
        for n in range(EPISODES):
            episode = episode_create(
                show=catalog.show,
                guid=f"screw-{n}",
                title=f"Pieza {n}",
                published_at=LATER if n % 7 == 3 else PAST,
                description="<p>" + "tornillo " * (n % 5 + 1) + "y tuerca</p>",
                access=Episode.Access.EXCLUSIVE if n % 3 == 0 else Episode.Access.FREE,
            )
            if n % 3 == 0:
                cues = (
                    f"WEBVTT\n\n00:00:{n:02d}.000 --> 00:00:{n:02d}.500\nUn tornillo.\n"
                )
                episode_transcript_upload(
                    episode=episode, name="t.vtt", data=cues.encode()
                )
    return catalog


def _expected_urls() -> list[str]:
    """The whole ranking, with what a free listener may not see taken out
    document by document: the order the pages must follow."""
    urls = []
    for pk in ids_ranked(query_words("tornillo"), near=False, limit=None):
        doc = SearchDocument.objects.select_related("episode__show").get(pk=pk)
        episode = doc.episode
        assert episode is not None
        if episode.published_at > NOW:  # LATER
            continue
        is_cue = doc.kind == SearchDocument.Kind.TRANSCRIPT
        if is_cue and episode.access == Episode.Access.EXCLUSIVE:
            continue
        url = f"/shows/{episode.show.slug}/{episode.slug}/"
        if doc.start_seconds is not None:
            url += f"?t={int(doc.start_seconds)}"
        urls.append(url)
    return urls


@pytest.mark.parametrize(("per_page", "window_min"), [(4, 1), (7, 1), (20, 32)])
def test_search_pages_have_no_repeats_and_no_gaps(
    screws: Catalog, monkeypatch: pytest.MonkeyPatch, per_page: int, window_min: int
) -> None:
    # Small pages and windows: hidden documents leave windows short, so
    # they grow, and later pages start deep in the ranking.
    monkeypatch.setattr(selectors, "PER_PAGE", per_page)
    monkeypatch.setattr(selectors, "WINDOW_MIN", window_min)
    monkeypatch.setattr(selectors, "WINDOW_FACTOR", 2)
    expected = _expected_urls()
    assert len(expected) > per_page  # more than one page
    assert len(set(expected)) == len(expected)
    seen: list[str] = []
    number = 1
    while True:
        results = search_results(
            query="tornillo", user=None, now=NOW, page_number=number
        )
        assert results.page is not None
        assert results.page.number == number
        assert results.page.count == len(expected)
        assert results.page.count_capped is False
        seen += [hit.url for hit in results.hits]
        if not results.page.has_next:
            break
        assert len(results.hits) == per_page
        number += 1
    assert seen == expected
    # A page past the last shows the last.
    past = search_results(query="tornillo", user=None, now=NOW, page_number=99)
    assert past.page is not None
    assert past.page.number == number
    assert [hit.url for hit in past.hits] == expected[(number - 1) * per_page :]


def test_search_subscriber_pages_include_the_exclusive_cues(
    screws: Catalog, monkeypatch: pytest.MonkeyPatch, listener: object
) -> None:
    from tests.support.billing import subscribe
    from tests.support.private_feeds import exclusive_plan_make

    subscribe(listener, exclusive_plan_make(), now=NOW - timedelta(days=1))  # type: ignore[arg-type]
    monkeypatch.setattr(selectors, "PER_PAGE", 5)
    free = search_results(query="tornillo", user=None, now=NOW)
    paid = search_results(query="tornillo", user=listener, now=NOW)  # type: ignore[arg-type]
    assert free.page is not None and paid.page is not None
    # One cue per exclusive episode that is out: n = 0, 6, 9, 12, ... not 3, 24.
    cues = len([n for n in range(0, EPISODES, 3) if n % 7 != 3])
    assert paid.page.count == free.page.count + cues


@pytest.mark.parametrize(("per_page", "window_min"), [(2, 1), (20, 32)])
def test_search_count_stops_at_the_cap(
    client: Client,
    screws: Catalog,
    monkeypatch: pytest.MonkeyPatch,
    per_page: int,
    window_min: int,
) -> None:
    """Counted past the window (small pages) or from it (all in one)."""
    monkeypatch.setattr(selectors, "PER_PAGE", per_page)
    monkeypatch.setattr(selectors, "WINDOW_MIN", window_min)
    total = len(_expected_urls())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/search/?q=tornillo").content.decode()
    assert f"{total} results" in page
    monkeypatch.setattr(selectors, "COUNT_CAP", total - 1)
    results = search_results(query="tornillo", user=None, now=NOW)
    assert results.page is not None
    assert results.page.count == total - 1
    assert results.page.count_capped is True
    page = client.get("/search/?q=tornillo").content.decode()
    assert f"{total - 1}+ results" in page
    assert f"{total} results" not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = client.get("/search/?q=tornillo").content.decode()
    assert f"{total - 1}+ resultados" in page
