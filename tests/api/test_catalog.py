"""The catalog's reads: shows, episodes, audiobooks, pages, ETags, rights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show, Transcript
from ondas.catalog.services import episode_create
from ondas.core import clock
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def test_show_list_walks_every_show_once_by_cursor(api: Client, catalog: Show) -> None:
    seen: list[str] = []
    url = "/api/v1/shows?limit=1"
    while url:
        body = api.get(url).json()
        seen += [show["slug"] for show in body["items"]]
        url = f"/api/v1/shows?limit=1&cursor={body['next']}" if body["next"] else ""
    assert len(seen) == len(set(seen)) == Show.objects.count() == 2


def test_episode_list_walks_without_repeats(api: Client, catalog: Show) -> None:
    seen: list[int] = []
    cursor = ""
    for _page in range(10):
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        body = api.get(f"/api/v1/shows/{catalog.slug}/episodes{query}").json()
        seen += [episode["id"] for episode in body["items"]]
        cursor = body["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5


def test_a_forged_cursor_is_400_in_the_error_shape(api: Client, catalog: Show) -> None:
    response = api.get("/api/v1/shows?cursor=bm9wZQ", HTTP_ACCEPT_LANGUAGE="en")
    spanish = api.get("/api/v1/shows?cursor=bm9wZQ", HTTP_ACCEPT_LANGUAGE="es")

    assert spanish.json()["error"]["message"] == "Este cursor no es válido."
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "This cursor is not valid.",
            "field": "cursor",
        }
    }


def test_show_read_has_an_etag_and_answers_304(api: Client, catalog: Show) -> None:
    first = api.get(f"/api/v1/shows/{catalog.slug}")
    assert first.status_code == 200
    assert first.json()["title"] == catalog.title

    again = api.get(f"/api/v1/shows/{catalog.slug}", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_an_edit_changes_the_show_etag(api: Client, catalog: Show) -> None:
    before = api.get(f"/api/v1/shows/{catalog.slug}/episodes")["ETag"]
    episode = Episode.objects.filter(show=catalog).first()
    assert episode is not None
    Episode.objects.filter(pk=episode.pk).update(title="Renamed")  # bumps the version

    after = api.get(f"/api/v1/shows/{catalog.slug}/episodes", HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert after["ETag"] != before


def test_lists_answer_304_by_body_etag(api: Client, catalog: Show) -> None:
    first = api.get("/api/v1/audiobooks")
    again = api.get("/api/v1/audiobooks", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304


def test_episode_detail_has_chapters(api: Client, page_faults_episode: Episode) -> None:
    body = api.get(
        f"/api/v1/shows/{page_faults_episode.show.slug}/episodes/"
        f"{page_faults_episode.slug}"
    ).json()

    assert body["id"] == page_faults_episode.pk
    assert len(body["chapters"]) == page_faults_episode.chapters.count() > 0


@pytest.fixture
def exclusive_episode(catalog: Show) -> Episode:
    episode = Episode.objects.filter(access=Episode.Access.EXCLUSIVE).first()
    assert episode is not None
    Transcript.objects.create(
        episode=episode,
        url="https://example.com/secret.vtt",
        mime_type="text/vtt",
        language="es",
    )
    return episode


def test_exclusive_transcript_is_hidden_from_a_visitor(
    api: Client, exclusive_episode: Episode
) -> None:
    url = (
        f"/api/v1/shows/{exclusive_episode.show.slug}/episodes/{exclusive_episode.slug}"
    )

    body = api.get(url).json()

    assert body["locked"] is True
    assert body["transcripts"] == []
    assert body["transcripts_hidden"] is True
    assert "secret.vtt" not in api.get(url).content.decode()


def test_exclusive_transcript_is_shown_to_a_subscriber(
    api: Client, exclusive_episode: Episode, read_token: str
) -> None:
    url = (
        f"/api/v1/shows/{exclusive_episode.show.slug}/episodes/{exclusive_episode.slug}"
    )

    body = api.get(url, **bearer(read_token)).json()

    assert body["locked"] is False
    assert [t["url"] for t in body["transcripts"]] == ["https://example.com/secret.vtt"]


def test_the_rights_change_the_etag(
    api: Client, exclusive_episode: Episode, read_token: str
) -> None:
    """A visitor's cached copy never answers a subscriber with a 304."""
    url = (
        f"/api/v1/shows/{exclusive_episode.show.slug}/episodes/{exclusive_episode.slug}"
    )
    visitor = api.get(url)["ETag"]

    response = api.get(url, HTTP_IF_NONE_MATCH=visitor, **bearer(read_token))

    assert response.status_code == 200


def test_audiobooks_and_their_chapters(api: Client, demo_book: object) -> None:
    books = api.get("/api/v1/audiobooks").json()["items"]
    slug = books[0]["slug"]

    one = api.get(f"/api/v1/audiobooks/{slug}").json()
    chapters = api.get(f"/api/v1/audiobooks/{slug}/chapters?limit=1").json()

    assert one["slug"] == slug
    assert len(chapters["items"]) == 1
    assert chapters["next"]


def test_an_unknown_show_is_404_in_the_error_shape(api: Client, db: None) -> None:
    response = api.get("/api/v1/shows/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "show_not_found"
    assert set(response.json()["error"]) == {"code", "message", "field"}


def test_an_unknown_api_path_is_404_in_the_error_shape(api: Client, db: None) -> None:
    for path in ("/api/v1/nope", "/api/v2/shows", "/api/"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found", path


def test_a_wrong_method_is_405_in_the_error_shape(api: Client, db: None) -> None:
    response = api.delete("/api/v1/shows")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_bad_limit_is_422_in_the_error_shape(api: Client, db: None) -> None:
    response = api.get("/api/v1/shows?limit=1000")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "limit"


def test_openapi_and_docs_are_served(api: Client, db: None, user: User) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    docs = api.get("/api/v1/docs")

    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/follows" in schema["paths"]
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui" in docs.content  # no CDN


def test_the_kept_episode_list_follows_a_new_episode_and_the_rights(
    api: Client, exclusive_episode: Episode, read_token: str
) -> None:
    """The list is kept under its tag: a write or other rights never get a
    kept copy made before or for someone else."""
    show = exclusive_episode.show
    url = f"/api/v1/shows/{show.slug}/episodes?limit=100"
    first = api.get(url)
    assert api.get(url).content == first.content  # the kept copy, byte for byte
    visitor = {e["id"]: e["locked"] for e in first.json()["items"]}
    subscriber = {
        e["id"]: e["locked"] for e in api.get(url, **bearer(read_token)).json()["items"]
    }
    assert visitor[exclusive_episode.pk] is True
    assert subscriber[exclusive_episode.pk] is False
    assert {e["id"]: e["locked"] for e in api.get(url).json()["items"]} == visitor

    added = episode_create(
        show=show,
        guid="kept-list-new",
        title="Recién salido",
        published_at=clock.now() - timedelta(minutes=1),
        duration_seconds=60,
    )

    again = api.get(url)
    assert again["ETag"] != first["ETag"]
    assert again.json()["items"][0]["id"] == added.pk
    assert len(again.json()["items"]) == len(first.json()["items"]) + 1
