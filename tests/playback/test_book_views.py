"""The book player's JSON endpoints, and the audio gate for book parts.

Every refusal is a clear status with ``{code, message, data}``, charges nothing
and never crashes; CSRF protection stays on for the writes.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Episode, Show
from ondas.core import clock
from ondas.core.errors import ErrorCode
from ondas.playback.models import (
    AllowanceUsage,
    Bookmark,
    ListeningProgress,
    ListeningSession,
)
from ondas.playback.selectors import allowance_get
from tests.support.billing import PASSWORD
from tests.support.wsgi_client import PATHS, Path, WsgiClient

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response


@pytest.fixture
def book(demo_book: Audiobook) -> Audiobook:
    return demo_book


@pytest.fixture
def subscriber(demo_subscriber: User) -> User:
    return demo_subscriber


@pytest.fixture
def stranger(db: None) -> User:
    return User.objects.create_user("sam@example.com", PASSWORD)


@pytest.fixture
def client_for(subscriber: User) -> Client:
    client = Client()
    client.force_login(subscriber)
    return client


def _use_up(user: User, *, leave: float) -> None:
    """Leave ``leave`` seconds of the person's allowance."""
    allowance = allowance_get(user=user, now=clock.now())
    assert allowance.period_start is not None
    AllowanceUsage.objects.update_or_create(
        user=user,
        period_start=allowance.period_start,
        defaults={"seconds": allowance.total_seconds - leave},
    )


def post(client: Client, url: str, payload: object) -> Response:
    return client.post(url, json.dumps(payload), content_type="application/json")


def put(client: Client, url: str, payload: object) -> Response:
    return client.put(url, json.dumps(payload), content_type="application/json")


def session_url(book: Audiobook) -> str:
    return reverse("playback:book-session", args=[book.pk])


def report_url(token: str) -> str:
    return reverse("playback:session-report", args=[token])


def open_session(client: Client, book: Audiobook) -> str:
    response = post(client, session_url(book), {"device": "test"})
    assert response.status_code == 201, response.content
    return str(response.json()["token"])


def charged(user: User) -> float:
    return sum(
        AllowanceUsage.objects.filter(user=user).values_list("seconds", flat=True)
    )


# Sessions and reports ----------------------------------------------------------


def test_session_open_answers_token_and_allowance(
    client_for: Client, book: Audiobook
) -> None:
    response = post(client_for, session_url(book), {"device": "kitchen"})

    assert response.status_code == 201
    body = response.json()
    assert ListeningSession.objects.get(token=body["token"]).device == "kitchen"
    assert body["left_seconds"] == 20 * 3600
    assert body["renews_at"]
    assert "no-store" in response["Cache-Control"]


def test_session_open_without_allowance_is_403(stranger: User, book: Audiobook) -> None:
    client = Client()
    client.force_login(stranger)

    response = post(client, session_url(book), {})

    assert response.status_code == 403
    assert response.json()["code"] == ErrorCode.AUDIOBOOK_ALLOWANCE_REQUIRED
    assert not ListeningSession.objects.exists()


def test_session_open_for_a_missing_book_is_404(client_for: Client) -> None:
    response = post(client_for, reverse("playback:book-session", args=[999999]), {})

    assert response.status_code == 404
    assert response.json()["code"] == ErrorCode.NOT_FOUND


def test_visitors_get_401_as_json(book: Audiobook) -> None:
    client = Client()
    for response in (
        post(client, session_url(book), {}),
        client.get(reverse("playback:book-bookmarks", args=[book.pk])),
        client.get(reverse("playback:progress", args=["audiobook", book.pk])),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "sign_in_required"


def test_report_charges_real_listening(
    client_for: Client, subscriber: User, book: Audiobook, settings: Settings
) -> None:
    token = open_session(client_for, book)
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=30)

    response = post(
        client_for,
        report_url(token),
        {"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 1}]},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["charged_seconds"] == 30
    assert body["exhausted"] is False
    assert charged(subscriber) == 30


def test_replayed_report_gets_the_same_answer_and_charges_once(
    client_for: Client, subscriber: User, book: Audiobook, settings: Settings
) -> None:
    token = open_session(client_for, book)
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=30)
    payload = {"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 1}]}

    first = post(client_for, report_url(token), payload).json()
    again = post(client_for, report_url(token), payload).json()

    assert first == again
    assert charged(subscriber) == 30


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({"seq": 1, "intervals": [{"start": -5, "end": 10, "rate": 1}]}, "negative"),
        ({"seq": 1, "intervals": [{"start": 100, "end": 1e9, "rate": 1}]}, "beyond"),
        ({"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 9}]}, "rate 9"),
        ({"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 0}]}, "rate 0"),
        ({"seq": 1, "intervals": [{"start": 130, "end": 100, "rate": 1}]}, "backwards"),
        ({"seq": 1, "intervals": [{"start": "100", "end": 130, "rate": 1}]}, "text"),
        ({"seq": 1, "intervals": [{"start": True, "end": 130, "rate": 1}]}, "bool"),
        ({"seq": 1, "intervals": [[100, 130, 1]]}, "not an object"),
        ({"seq": 1, "intervals": {"start": 100}}, "not a list"),
        ({"seq": 0, "intervals": []}, "seq 0"),
        ({"seq": -1, "intervals": []}, "seq negative"),
        ({"seq": 10**40, "intervals": []}, "seq huge"),
        ({"seq": 1.5, "intervals": []}, "seq fraction"),
        ({"intervals": []}, "no seq"),
        ({"seq": 1}, "no intervals"),
        (
            {"seq": 1, "intervals": [{"start": 1, "end": 2, "rate": 1}] * 201},
            "too many",
        ),
        ([1, 2, 3], "not an object"),
    ],
)
def test_impossible_reports_are_400_and_charge_nothing(
    client_for: Client,
    subscriber: User,
    book: Audiobook,
    settings: Settings,
    payload: object,
    why: str,
) -> None:
    token = open_session(client_for, book)
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=60)

    response = post(client_for, report_url(token), payload)

    assert response.status_code == 400, why
    body = response.json()
    # Shape errors are caught at the edge, impossible listening in the service.
    assert body["code"] in {
        ErrorCode.INVALID_REQUEST,
        ErrorCode.LISTENING_REPORT_REFUSED,
    }, why
    assert body["message"]
    assert charged(subscriber) == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"",
        b"NaN",
        b'{"seq": NaN, "intervals": []}',
        b'{"seq": 1e999}',
        b"\xff\xfe",
    ],
)
def test_malformed_json_is_400(client_for: Client, book: Audiobook, raw: bytes) -> None:
    token = open_session(client_for, book)

    response = client_for.post(report_url(token), raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == ErrorCode.INVALID_REQUEST


def test_report_for_someone_elses_session_is_refused(
    client_for: Client, stranger: User, book: Audiobook
) -> None:
    token = open_session(client_for, book)
    other = Client()
    other.force_login(stranger)

    response = post(
        other,
        report_url(token),
        {"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 1}]},
    )

    assert response.status_code == 400
    assert charged(stranger) == 0


def test_report_for_an_unknown_session_is_refused(client_for: Client) -> None:
    response = post(
        client_for, report_url(str(uuid.uuid4())), {"seq": 1, "intervals": []}
    )

    assert response.status_code == 400


def test_malformed_session_token_is_404(client_for: Client) -> None:
    response = client_for.post(
        "/playback/sessions/not-a-token/report", "{}", content_type="application/json"
    )

    assert response.status_code == 404


def test_a_second_device_supersedes_the_first_with_409(
    client_for: Client, subscriber: User, book: Audiobook, settings: Settings
) -> None:
    first = open_session(client_for, book)
    other_device = Client()
    other_device.force_login(subscriber)
    open_session(other_device, book)
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=30)

    response = post(
        client_for,
        report_url(first),
        {"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 1}]},
    )

    assert response.status_code == 409
    assert response.json()["code"] == ErrorCode.LISTENING_SESSION_SUPERSEDED
    assert charged(subscriber) == 0


def test_exhausting_report_answers_exhausted_with_the_renewal(
    client_for: Client, subscriber: User, book: Audiobook, settings: Settings
) -> None:
    token = open_session(client_for, book)
    _use_up(subscriber, leave=30)
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=60)

    body = post(
        client_for,
        report_url(token),
        {"seq": 1, "intervals": [{"start": 100, "end": 160, "rate": 1}]},
    ).json()

    assert body["charged_seconds"] == 30
    assert body["left_seconds"] == 0
    assert body["exhausted"] is True
    assert body["renews_at"]


def test_reports_need_the_csrf_header(subscriber: User, book: Audiobook) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(subscriber)

    refused = post(client, session_url(book), {})
    assert refused.status_code == 403
    assert not ListeningSession.objects.exists()

    client.get(reverse("web:audiobook-detail", args=[book.slug]))  # sets the cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        session_url(book), "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


def test_wrong_method_is_405(client_for: Client, book: Audiobook) -> None:
    assert client_for.get(session_url(book)).status_code == 405
    assert (
        client_for.delete(
            reverse("playback:book-bookmarks", args=[book.pk])
        ).status_code
        == 405
    )


# Progress -----------------------------------------------------------------------


def progress_url(kind: str, item_id: int) -> str:
    return reverse("playback:progress", args=[kind, item_id])


def test_progress_put_then_get(client_for: Client, book: Audiobook) -> None:
    url = progress_url("audiobook", book.pk)
    assert client_for.get(url).json()["position_seconds"] is None

    response = put(
        client_for,
        url,
        {
            "position_seconds": 215.5,
            "played_at": clock.now().isoformat(),
            "device": "a",
        },
    )

    assert response.status_code == 200
    assert response.json()["applied"] is True
    got = client_for.get(url).json()
    assert got["position_seconds"] == 215.5
    assert got["device"] == "a"


def test_progress_from_a_stale_device_does_not_move_back(
    client_for: Client, book: Audiobook
) -> None:
    url = progress_url("audiobook", book.pk)
    now = clock.now()
    put(client_for, url, {"position_seconds": 300, "played_at": now.isoformat()})

    late = put(
        client_for,
        url,
        {"position_seconds": 20, "played_at": (now - timedelta(minutes=5)).isoformat()},
    )

    assert late.json()["applied"] is False
    assert late.json()["position_seconds"] == 300


@pytest.mark.parametrize(
    "payload",
    [
        {"position_seconds": -1},
        {"position_seconds": 10**9},
        {"position_seconds": "12"},
        {"position_seconds": 12, "played_at": "yesterday"},
        {"position_seconds": 12, "played_at": "2026-01-01T10:00:00"},  # no zone
        {"position_seconds": 12, "played_at": 5},
        {"position_seconds": 12, "device": "x" * 65},
        {"position_seconds": 12, "device": 7},
        {},
    ],
)
def test_bad_progress_is_400(
    client_for: Client, book: Audiobook, payload: dict[str, object]
) -> None:
    response = put(client_for, progress_url("audiobook", book.pk), payload)

    assert response.status_code == 400
    assert not ListeningProgress.objects.exists()


def test_progress_for_unknown_items_is_404(client_for: Client) -> None:
    assert client_for.get(progress_url("audiobook", 424242)).status_code == 404
    assert client_for.get(progress_url("episode", 424242)).status_code == 404
    assert client_for.get(progress_url("audiobook", 10**30)).status_code == 404
    assert client_for.get("/playback/progress/show/1").status_code == 404


def test_progress_of_an_exclusive_episode_needs_the_right_to_hear_it(
    stranger: User, demo_catalog: Show
) -> None:
    exclusive = Episode.objects.filter(access=Episode.Access.EXCLUSIVE).first()
    assert exclusive is not None
    client = Client()
    client.force_login(stranger)

    response = put(
        client, progress_url("episode", exclusive.pk), {"position_seconds": 5}
    )

    assert response.status_code == 403
    assert response.json()["code"] == ErrorCode.SUBSCRIPTION_REQUIRED
    assert not ListeningProgress.objects.exists()


def test_progress_of_a_free_episode(
    client_for: Client, page_faults_episode: Episode
) -> None:
    response = put(
        client_for,
        progress_url("episode", page_faults_episode.pk),
        {"position_seconds": 720},
    )
    assert response.status_code == 200


# Bookmarks ---------------------------------------------------------------------


def bookmarks_url(book: Audiobook) -> str:
    return reverse("playback:book-bookmarks", args=[book.pk])


def test_bookmarks_create_list_delete(client_for: Client, book: Audiobook) -> None:
    created = post(
        client_for, bookmarks_url(book), {"position_seconds": 250, "note": " Ojo "}
    )
    assert created.status_code == 201
    bookmark = created.json()
    assert bookmark["note"] == "Ojo"
    post(client_for, bookmarks_url(book), {"position_seconds": 10})

    listed = client_for.get(bookmarks_url(book)).json()["bookmarks"]
    assert [b["position_seconds"] for b in listed] == [10, 250]

    deleted = client_for.delete(reverse("playback:bookmark", args=[bookmark["id"]]))
    assert deleted.status_code == 204
    assert [
        b["position_seconds"]
        for b in client_for.get(bookmarks_url(book)).json()["bookmarks"]
    ] == [10]


def test_nobody_deletes_or_sees_someone_elses_bookmarks(
    client_for: Client, stranger: User, book: Audiobook
) -> None:
    bookmark = post(client_for, bookmarks_url(book), {"position_seconds": 5}).json()
    other = Client()
    other.force_login(stranger)

    assert other.get(bookmarks_url(book)).json()["bookmarks"] == []
    other.delete(reverse("playback:bookmark", args=[bookmark["id"]]))
    assert Bookmark.objects.filter(pk=bookmark["id"]).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"position_seconds": -3},
        {"position_seconds": 10**6},
        {"position_seconds": None},
        {"position_seconds": 3, "note": "x" * 501},
        {"position_seconds": 3, "note": ["a"]},
        {"position_seconds": 3, "note": "nul\x00"},
    ],
)
def test_bad_bookmarks_are_400(
    client_for: Client, book: Audiobook, payload: dict[str, object]
) -> None:
    response = post(client_for, bookmarks_url(book), payload)

    assert response.status_code == 400
    assert not Bookmark.objects.exists()


# The audio gate for book parts ---------------------------------------------------


def part_audio_url(book: Audiobook) -> str:
    part = book.parts.order_by("position").first()
    assert part is not None
    return reverse("playback:audio", args=[part.audio_id])


def _audio_client(path: Path, user: User | None = None) -> WsgiClient:
    client = WsgiClient(path)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("path", PATHS)
def test_parts_play_for_subscribers_with_hours_left(
    subscriber: User, book: Audiobook, path: Path
) -> None:
    client = _audio_client(path, subscriber)
    # Asked every time: a part is metered, its yes is never kept.
    for _time in range(2):
        response = client.get(part_audio_url(book), HTTP_RANGE="bytes=0-99")

        assert response.status_code == 206
        assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("path", PATHS)
def test_parts_are_refused_without_hours(
    stranger: User, subscriber: User, book: Audiobook, path: Path
) -> None:
    assert _audio_client(path).get(part_audio_url(book)).status_code == 403
    other = _audio_client(path, stranger)
    assert other.get(part_audio_url(book)).status_code == 403

    exhausted = _audio_client(path, subscriber)
    assert (
        exhausted.get(part_audio_url(book), HTTP_RANGE="bytes=0-9").status_code == 206
    )
    _use_up(subscriber, leave=0)
    assert exhausted.get(part_audio_url(book)).status_code == 403


@pytest.mark.parametrize("path", PATHS)
def test_the_sample_is_free_for_everyone(book: Audiobook, path: Path) -> None:
    assert book.sample_audio_id is not None

    response = _audio_client(path).get(
        reverse("playback:audio", args=[book.sample_audio_id])
    )

    assert response.status_code == 200


def test_nginx_may_not_keep_the_yes_for_a_book_part(
    settings: Settings, client_for: Client, book: Audiobook
) -> None:
    """Parts are metered against the listener's hours: nginx asks every time."""
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    settings.ONDAS_AUDIO_RIGHTS_TTL = 30
    part = book.parts.order_by("position").first()
    assert part is not None

    yes = client_for.get(f"/audio/{part.audio_id}/rights")

    assert yes.status_code == 200
    assert yes["X-Accel-Expires"] == "0"
    assert yes["X-Ondas-Cache-Control"] == "private, no-cache"


# Bodies in other formats, too large, or with text no database stores ----------


def test_a_form_post_is_415_in_the_json_shape(
    client_for: Client, book: Audiobook
) -> None:
    token = open_session(client_for, book)
    for url in (bookmarks_url(book), session_url(book), report_url(token)):
        response = client_for.post(url, {"position_seconds": "5", "device": "x"})

        assert response.status_code == 415, (url, response.content)
        body = response.json()
        assert body["code"] == ErrorCode.UNSUPPORTED_MEDIA_TYPE
        assert body["data"]["expected"] == "application/json"
        assert body["data"]["received"] == "multipart/form-data"
    assert not Bookmark.objects.exists()


def test_a_text_body_is_415(client_for: Client, book: Audiobook) -> None:
    response = client_for.post(
        bookmarks_url(book), '{"position_seconds": 5}', content_type="text/plain"
    )

    assert response.status_code == 415
    assert response.json()["data"]["received"] == "text/plain"
    assert not Bookmark.objects.exists()


def test_a_json_suffix_type_is_read_as_json(
    client_for: Client, book: Audiobook
) -> None:
    response = client_for.post(
        bookmarks_url(book),
        json.dumps({"position_seconds": 5}),
        content_type="application/merge-patch+json; charset=utf-8",
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "raw",
    [
        b'{"position_seconds": 3, "note": "\\ud800"}',
        b'{"position_seconds": 3, "note": "ok", "\\udfff": 1}',
        b'{"position_seconds": 3, "note": ["\\ud83d"]}',
    ],
)
def test_a_lone_surrogate_in_a_bookmark_is_400(
    client_for: Client, book: Audiobook, raw: bytes
) -> None:
    response = client_for.post(
        bookmarks_url(book), raw, content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == ErrorCode.INVALID_REQUEST
    assert not Bookmark.objects.exists()


def test_a_lone_surrogate_in_a_device_name_is_400(
    client_for: Client, book: Audiobook
) -> None:
    response = client_for.post(
        session_url(book), b'{"device": "tel\\udc00"}', content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert not ListeningSession.objects.exists()


def test_a_body_over_the_limit_is_413(
    client_for: Client, subscriber: User, book: Audiobook, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    token = open_session(client_for, book)
    payload = {"seq": 1, "intervals": [], "pad": "x" * 2000}

    for url in (report_url(token), bookmarks_url(book)):
        response = post(client_for, url, payload)

        assert response.status_code == 413, (url, response.content)
        body = response.json()
        assert body["code"] == ErrorCode.PAYLOAD_TOO_LARGE
        assert body["data"]["limit"] == 1000
    assert charged(subscriber) == 0
    assert not Bookmark.objects.exists()
