"""The listener's endpoints, tokens and their scopes, sessions and CSRF, limits."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.accounts.access_tokens import access_token_revoke
from ondas.accounts.models import AccessToken, User
from ondas.catalog.models import Audiobook, Episode, Show
from ondas.core import clock
from ondas.library.selectors import follow_exists
from ondas.playback.models import Bookmark
from tests.api.conftest import bearer, token_for

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: object, **extra: str) -> object:
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


@pytest.mark.parametrize(
    ("scope", "get_status", "post_status"),
    [(None, 401, 401), ("read", 200, 403), ("write", 200, 201)],
)
def test_token_scope_matrix(
    api: Client,
    catalog: Show,
    demo_subscriber: User,
    scope: str | None,
    get_status: int,
    post_status: int,
) -> None:
    auth = bearer(token_for(demo_subscriber, scope)) if scope else {}

    got = api.get("/api/v1/me/follows", **auth)
    posted = api.post(
        "/api/v1/me/follows",
        json.dumps({"show": catalog.slug}),
        content_type="application/json",
        **auth,
    )

    assert got.status_code == get_status
    assert posted.status_code == post_status
    expected_code = {401: "sign_in_required", 403: "scope_insufficient"}
    if post_status in expected_code:
        assert posted.json()["error"]["code"] == expected_code[post_status]
    assert follow_exists(user=demo_subscriber, show=catalog) is (scope == "write")


def test_revoked_and_unknown_tokens_are_refused(
    api: Client, catalog: Show, demo_subscriber: User, write_token: str
) -> None:
    token = AccessToken.objects.get(user=demo_subscriber)
    access_token_revoke(user=demo_subscriber, token_id=token.pk, now=clock.now())

    for secret in (write_token, "ondas_unknown", "garbage", ""):
        response = api.get("/api/v1/me/follows", HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert response.status_code == 401, secret
        assert response.json()["error"]["code"] in {
            "access_token_invalid",
            "sign_in_required",
        }
    # A public read with a bad token is refused too, not served as a visitor.
    response = api.get("/api/v1/shows", **bearer("ondas_unknown"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "access_token_invalid"


def test_a_token_is_stored_hashed_and_notes_its_last_use(
    api: Client, catalog: Show, demo_subscriber: User, read_token: str
) -> None:
    token = AccessToken.objects.get(user=demo_subscriber)
    assert read_token not in token.digest
    assert token.last_used_at is None

    api.get("/api/v1/me/follows", **bearer(read_token))

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_follow_list_unfollow(
    api: Client, catalog: Show, demo_subscriber: User, write_token: str
) -> None:
    auth = bearer(write_token)
    post(api, "/api/v1/me/follows", {"show": catalog.slug}, **auth)

    listed = api.get("/api/v1/me/follows", **auth).json()
    gone = api.delete(f"/api/v1/me/follows/{catalog.slug}", **auth)

    assert [s["slug"] for s in listed["items"]] == [catalog.slug]
    assert gone.status_code == 204
    assert not follow_exists(user=demo_subscriber, show=catalog)


def test_following_an_unknown_show_is_404(api: Client, write_token: str) -> None:
    response = post(api, "/api/v1/me/follows", {"show": "nope"}, **bearer(write_token))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "show_not_found"


def test_a_body_of_the_wrong_shape_is_422_naming_the_field(
    api: Client, write_token: str
) -> None:
    response = post(api, "/api/v1/me/follows", {"show": 5}, **bearer(write_token))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["field"] == "show"


def test_a_body_that_is_no_json_is_400(api: Client, write_token: str) -> None:
    response = api.post(
        "/api/v1/me/follows",
        b"{",
        content_type="application/json",
        **bearer(write_token),
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_progress_in_an_episode(
    api: Client, page_faults_episode: Episode, write_token: str
) -> None:
    auth = bearer(write_token)
    url = f"/api/v1/me/progress/episode/{page_faults_episode.pk}"

    saved = api.put(
        url,
        json.dumps({"position_seconds": 42, "device": "car"}),
        content_type="application/json",
        **auth,
    )
    read = api.get(url, **auth).json()

    assert saved.status_code == 200
    assert saved.json()["applied"] is True
    assert read["position_seconds"] == 42
    assert read["device"] == "car"


def test_progress_past_the_end_is_refused(
    api: Client, page_faults_episode: Episode, write_token: str
) -> None:
    response = api.put(
        f"/api/v1/me/progress/episode/{page_faults_episode.pk}",
        json.dumps({"position_seconds": 10**6}),
        content_type="application/json",
        **bearer(write_token),
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "position_seconds"


def test_bookmarks_add_list_delete(
    api: Client, demo_book: Audiobook, write_token: str
) -> None:
    auth = bearer(write_token)
    url = f"/api/v1/me/audiobooks/{demo_book.pk}/bookmarks"

    made = post(api, url, {"position_seconds": 12.5, "note": "here"}, **auth)
    listed = api.get(url, **auth).json()
    gone = api.delete(f"/api/v1/me/bookmarks/{made.json()['id']}", **auth)

    assert made.status_code == 201
    assert [b["note"] for b in listed["items"]] == ["here"]
    assert gone.status_code == 204
    assert not Bookmark.objects.exists()


def test_subscription_and_allowance(api: Client, read_token: str) -> None:
    body = api.get("/api/v1/me/subscription", **bearer(read_token)).json()

    assert body["state"] == "trial"
    assert body["exclusive"] is True
    assert body["audiobook_seconds_total"] == 20 * 3600
    assert body["audiobook_seconds_left"] == 20 * 3600


def test_private_feeds_make_list_rotate(
    api: Client, catalog: Show, write_token: str
) -> None:
    auth = bearer(write_token)
    exclusive = Show.objects.get(slug="sala-de-maquinas")

    made = api.post(f"/api/v1/me/private-feeds/{exclusive.slug}", **auth)
    first = {f["show"]: f["url"] for f in made.json()["items"]}[exclusive.slug]
    rotated = api.post(f"/api/v1/me/private-feeds/{exclusive.slug}/rotate", **auth)
    second = {f["show"]: f["url"] for f in rotated.json()["items"]}[exclusive.slug]

    assert made.status_code == 201
    assert first and second and first != second
    assert api.get(first).status_code != 200  # the old address stopped
    assert api.get(second).status_code == 200


def test_session_writes_need_the_csrf_token(
    catalog: Show, demo_subscriber: User
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo_subscriber)
    client.get("/account/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value

    refused = post(client, "/api/v1/me/follows", {"show": catalog.slug})
    allowed = post(
        client, "/api/v1/me/follows", {"show": catalog.slug}, HTTP_X_CSRFTOKEN=csrf
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert allowed.status_code == 201
    assert client.get("/api/v1/me/follows").status_code == 200


def test_the_rate_limit_answers_429_with_retry_after(
    api: Client, db: None, settings: Settings, throttle_clock: float
) -> None:
    settings.ONDAS_API_RATE_LIMIT = 2
    settings.ONDAS_API_RATE_WINDOW = 60

    answers = [api.get("/api/v1/shows") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert int(answers[2]["Retry-After"]) == 30  # the clock is mid-window


def test_a_show_without_a_feed_yet_lists_no_address(
    api: Client, catalog: Show, read_token: str
) -> None:
    body = api.get("/api/v1/me/private-feeds", **bearer(read_token)).json()

    assert body["entitled"] is True
    assert {f["show"]: f["url"] for f in body["items"]} == {"sala-de-maquinas": None}
