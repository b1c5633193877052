"""Listening reports through the JSON API: a book's metered stream (opened,
reported, charged once, ended by another device) and an episode's heard
reports, with tokens and their scopes and the API's one error shape."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Episode
from ondas.playback.models import AllowanceUsage, HeardSpan, ListeningSession
from tests.accounts.factories import user_make
from tests.api.conftest import bearer, token_for

pytestmark = pytest.mark.django_db


def post(url: str, body: object, **extra: str) -> Any:
    return Client().post(
        url, json.dumps(body), content_type="application/json", **extra
    )


def charged(user: User) -> float:
    return sum(
        AllowanceUsage.objects.filter(user=user).values_list("seconds", flat=True)
    )


def open_stream(book: Audiobook, write_token: str, device: str = "car") -> str:
    answer = post(
        f"/api/v1/me/audiobooks/{book.pk}/sessions",
        {"device": device},
        **bearer(write_token),
    )
    assert answer.status_code == 201, answer.content
    return str(answer.json()["token"])


def test_a_book_stream_is_opened_reported_and_charged_once(
    demo_book: Audiobook,
    demo_subscriber: User,
    write_token: str,
    settings: Settings,
) -> None:
    opened = post(
        f"/api/v1/me/audiobooks/{demo_book.pk}/sessions",
        {"device": "car"},
        **bearer(write_token),
    )
    assert opened.status_code == 201
    body = opened.json()
    assert body["left_seconds"] == 20 * 3600
    assert body["renews_at"]
    assert ListeningSession.objects.get(token=body["token"]).device == "car"

    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=30)
    report = {"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 1}]}
    url = f"/api/v1/me/sessions/{body['token']}/reports"
    first = post(url, report, **bearer(write_token))
    assert first.status_code == 200
    assert first.json()["charged_seconds"] == 30
    assert first.json()["exhausted"] is False
    again = post(url, report, **bearer(write_token))
    assert again.json() == first.json()
    assert charged(demo_subscriber) == 30


def test_a_stream_opened_elsewhere_ends_this_one(
    demo_book: Audiobook, write_token: str, settings: Settings
) -> None:
    car = open_stream(demo_book, write_token, "car")
    open_stream(demo_book, write_token, "kitchen")
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=30)
    answer = post(
        f"/api/v1/me/sessions/{car}/reports",
        {"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 1}]},
        **bearer(write_token),
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "listening_session_superseded"


@pytest.mark.parametrize(("scope", "status"), [(None, 401), ("read", 403)])
def test_streams_need_a_write_token(
    demo_book: Audiobook, demo_subscriber: User, scope: str | None, status: int
) -> None:
    auth = bearer(token_for(demo_subscriber, scope)) if scope else {}
    answer = post(f"/api/v1/me/audiobooks/{demo_book.pk}/sessions", {}, **auth)
    assert answer.status_code == status
    assert not ListeningSession.objects.exists()


def test_a_book_beyond_its_sample_needs_hours(demo_book: Audiobook) -> None:
    someone = user_make(email="sinplan@example.com")
    auth = bearer(token_for(someone, "write"))
    answer = post(f"/api/v1/me/audiobooks/{demo_book.pk}/sessions", {}, **auth)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "audiobook_allowance_required"
    missing = post("/api/v1/me/audiobooks/999999/sessions", {}, **auth)
    assert missing.status_code == 404
    assert not ListeningSession.objects.exists()


@pytest.mark.parametrize(
    "report",
    [
        {"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 9}]},
        {"seq": 0, "intervals": []},
        {"seq": 1, "intervals": [{"start": "100", "end": 130, "rate": 1}]},
        {"intervals": []},
    ],
)
def test_a_bad_book_report_charges_nothing(
    demo_book: Audiobook,
    demo_subscriber: User,
    write_token: str,
    settings: Settings,
    report: dict[str, object],
) -> None:
    token = open_stream(demo_book, write_token)
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=30)
    answer = post(f"/api/v1/me/sessions/{token}/reports", report, **bearer(write_token))
    assert answer.status_code in {400, 422}
    assert answer.json()["error"]["message"]
    assert charged(demo_subscriber) == 0


def test_someone_elses_stream_is_refused(
    demo_book: Audiobook, write_token: str, settings: Settings
) -> None:
    token = open_stream(demo_book, write_token)
    other = bearer(token_for(user_make(email="otra@example.com"), "write"))
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=30)
    answer = post(
        f"/api/v1/me/sessions/{token}/reports",
        {"seq": 1, "intervals": [{"start": 100, "end": 130, "rate": 1}]},
        **other,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "listening_report_refused"


def _episode(access: str) -> Episode:
    episode = Episode.objects.filter(
        access=access, duration_seconds__gt=60, audio__isnull=False
    ).first()
    assert episode is not None
    return episode


def test_an_episode_report_is_kept_once(
    demo_catalog: object, demo_subscriber: User, write_token: str
) -> None:
    episode = _episode(Episode.Access.FREE)
    report = {
        "stream": str(uuid.uuid4()),
        "seq": 1,
        "intervals": [{"start": 0, "end": 20, "rate": 1}],
    }
    url = f"/api/v1/me/episodes/{episode.pk}/reports"
    first = post(url, report, **bearer(write_token))
    assert first.status_code == 200
    assert first.json() == {"kept": 1, "audio_seconds": 20.0}
    assert post(url, report, **bearer(write_token)).json() == first.json()
    assert HeardSpan.objects.filter(user=demo_subscriber, episode=episode).count() == 1


def test_an_exclusive_episode_report_needs_the_right(demo_catalog: object) -> None:
    episode = _episode(Episode.Access.EXCLUSIVE)
    someone = user_make(email="sinplan@example.com")
    answer = post(
        f"/api/v1/me/episodes/{episode.pk}/reports",
        {"stream": str(uuid.uuid4()), "seq": 1, "intervals": []},
        **bearer(token_for(someone, "write")),
    )
    assert answer.status_code == 403
    assert not HeardSpan.objects.filter(user=someone).exists()
