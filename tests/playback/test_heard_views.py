"""The players' listening reports through the real views, up to the roll-ups.

An episode player posts ``{stream, seq, intervals}``; a book player's metering
reports are kept as heard spans too. The roll-up job runs, and the analytics
selectors answer from what it made.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.analytics.models import ListeningDay
from ondas.analytics.selectors import (
    episode_completion,
    episode_dropoff,
    listening_for_period,
    show_plays_daily,
)
from ondas.analytics.tasks import listening_rollup_task
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Audiobook, Episode, Show
from ondas.catalog.services import episode_create, show_create
from ondas.core import clock
from ondas.core.errors import ErrorCode
from ondas.playback.models import HeardSpan
from tests.accounts.factories import user_make

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

STREAM = "6f1c1b7e-3c1d-4a53-9d0e-1f1e2d3c4b5a"


def _episode(show: Show, guid: str, access: str = Episode.Access.FREE) -> Episode:
    return episode_create(
        show=show,
        guid=guid,
        title=guid,
        published_at=clock.now() - timedelta(days=3),
        duration_seconds=600,
        access=access,
        chapters=[
            ChapterInput(0, "Hola"),
            ChapterInput(200, "Tema"),
            ChapterInput(400, "Adiós"),
        ],
    )


@pytest.fixture
def show(db: None) -> Show:
    return show_create(title="Ondas largas", author="Ana", language="es")


@pytest.fixture
def episode(show: Show) -> Episode:
    return _episode(show, "libre")


@pytest.fixture
def ana(db: None) -> User:
    return user_make(email="ana@example.com")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report(
    client: Client, episode: Episode, seq: int, *spans: object, stream: str = STREAM
) -> Response:
    payload = {"stream": stream, "seq": seq, "intervals": list(spans)}
    return client.post(
        reverse("playback:episode-report", args=[episode.pk]),
        json.dumps(payload),
        content_type="application/json",
    )


def span(start: float, end: float, rate: float = 1) -> dict[str, float]:
    return {"start": start, "end": end, "rate": rate}


def test_listener_reports_roll_up_into_plays_completion_and_dropoff(
    ana: User, episode: Episode
) -> None:
    client = signed_in(ana)
    first = report(client, episode, 1, span(0, 150), span(150, 300, 2))
    second = report(client, episode, 2, span(300, 600, 1.5))

    assert first.status_code == 200
    assert first.json() == {"kept": 2, "audio_seconds": 300}
    assert second.json() == {"kept": 1, "audio_seconds": 300}
    assert first["Cache-Control"].startswith("private")

    listening_rollup_task.enqueue()

    today = clock.now().date()
    plays = show_plays_daily(show=episode.show, since=today, until=today)
    assert [(d.plays, d.listeners) for d in plays] == [(1, 1)]
    completion = episode_completion(episode=episode)
    assert (completion.players, completion.completed) == (1, 1)
    assert [(c.title, c.listeners) for c in episode_dropoff(episode=episode)] == [
        ("Hola", 1),
        ("Tema", 1),
        ("Adiós", 1),
    ]
    day = ListeningDay.objects.get(user=ana, episode=episode)
    assert day.audio_seconds == 600
    assert day.wall_seconds == 150 + 75 + 200


def test_a_replayed_report_gets_the_same_answer_and_keeps_nothing_twice(
    ana: User, episode: Episode
) -> None:
    client = signed_in(ana)
    first = report(client, episode, 1, span(0, 100))
    again = report(client, episode, 1, span(0, 100))
    # A gap in the numbers is fine: a report may be lost for good.
    later = report(client, episode, 5, span(100, 130))

    assert first.json() == again.json()
    assert later.status_code == 200
    assert HeardSpan.objects.filter(user=ana).count() == 2
    listening_rollup_task.enqueue()
    assert ListeningDay.objects.get(user=ana, episode=episode).audio_seconds == 130


@pytest.mark.parametrize(
    ("spans", "why"),
    [
        ([span(100, 50)], "ends before it starts"),
        ([span(100, 100)], "empty"),
        ([span(500, 700)], "beyond the duration"),
        ([span(0, 100, 3.6)], "too fast"),
        ([span(0, 100, 0.4)], "too slow"),
        ([span(0, 100), span(-5, 10)], "negative, after a good one"),
        ([{"start": "0", "end": 10, "rate": 1}], "text"),
    ],
)
def test_nonsense_is_a_clear_400_and_keeps_nothing(
    ana: User, episode: Episode, spans: list[object], why: str
) -> None:
    response = report(signed_in(ana), episode, 1, *spans)

    assert response.status_code == 400, why
    body = response.json()
    assert body["code"] in {
        ErrorCode.INVALID_REQUEST,
        ErrorCode.LISTENING_REPORT_REFUSED,
    }
    assert body["message"]
    assert not HeardSpan.objects.exists()


def test_the_fastest_speed_and_a_rounded_duration_are_accepted(
    ana: User, episode: Episode
) -> None:
    response = report(signed_in(ana), episode, 1, span(0, 300, 3.5), span(300, 600.8))
    assert response.status_code == 200


def test_a_bad_stream_or_seq_is_a_400(ana: User, episode: Episode) -> None:
    client = signed_in(ana)
    assert report(client, episode, 1, span(0, 9), stream="nope").status_code == 400
    assert report(client, episode, 0, span(0, 9)).status_code == 400


def test_visitors_get_401_and_exclusive_episodes_need_a_plan(
    ana: User, show: Show
) -> None:
    exclusive = _episode(show, "exclusivo", access=Episode.Access.EXCLUSIVE)

    assert report(Client(), exclusive, 1, span(0, 9)).status_code == 401
    assert report(signed_in(ana), exclusive, 1, span(0, 9)).status_code == 403
    missing = reverse("playback:episode-report", args=[999_999])
    assert (
        signed_in(ana).post(missing, "{}", content_type="application/json").status_code
        == 404
    )
    assert not HeardSpan.objects.exists()


def test_a_listener_never_gets_another_listeners_answer_or_rows(
    ana: User, episode: Episode, db: None
) -> None:
    beto = user_make(email="beto@example.com")
    ana_answer = report(signed_in(ana), episode, 1, span(0, 100)).json()
    # The same stream id and seq from someone else is their own report.
    beto_answer = report(signed_in(beto), episode, 1, span(0, 30)).json()

    assert ana_answer["audio_seconds"] == 100
    assert beto_answer["audio_seconds"] == 30
    listening_rollup_task.enqueue()
    rows = {
        r.user_id: r.audio_seconds
        for r in listening_for_period(
            start=clock.now().date(), end=clock.now().date() + timedelta(days=1)
        )
    }
    assert rows == {ana.pk: 100, beto.pk: 30}


def test_a_books_metering_report_is_kept_as_listening_speed_aware(
    demo_book: Audiobook, demo_subscriber: User, settings: Settings
) -> None:
    client = signed_in(demo_subscriber)
    opened = client.post(
        reverse("playback:book-session", args=[demo_book.pk]),
        json.dumps({"device": "test"}),
        content_type="application/json",
    )
    token = opened.json()["token"]
    url = reverse("playback:session-report", args=[token])
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=30)
    # 60 seconds of the book at 2x: 30 seconds of listening, charged as such.
    payload = {"seq": 1, "intervals": [{"start": 100, "end": 160, "rate": 2}]}

    first = client.post(url, json.dumps(payload), content_type="application/json")
    again = client.post(url, json.dumps(payload), content_type="application/json")

    assert first.json()["charged_seconds"] == 30
    assert again.json() == first.json()
    listening_rollup_task.enqueue()
    day = ListeningDay.objects.get(user=demo_subscriber, audiobook=demo_book)
    assert (day.audio_seconds, day.wall_seconds, day.played) == (60, 30, False)


def test_a_refused_book_report_keeps_nothing(
    demo_book: Audiobook, demo_subscriber: User
) -> None:
    client = signed_in(demo_subscriber)
    opened = client.post(
        reverse("playback:book-session", args=[demo_book.pk]),
        json.dumps({"device": "test"}),
        content_type="application/json",
    )
    url = reverse("playback:session-report", args=[opened.json()["token"]])
    bad = {"seq": 1, "intervals": [{"start": 100, "end": 10**6, "rate": 1}]}

    response = client.post(url, json.dumps(bad), content_type="application/json")

    assert response.status_code == 400
    assert not HeardSpan.objects.exists()


def test_no_one_may_report_more_listening_than_time_allows(
    ana: User, episode: Episode, settings: Settings
) -> None:
    client = signed_in(ana)
    slow = span(0, 600, 0.5)  # 20 minutes to play
    answers = [report(client, episode, seq, slow).status_code for seq in (1, 2, 3)]
    # An hour and twenty minutes within the hour: more than an hour and 15.
    refused = report(client, episode, 4, slow)

    assert answers == [200, 200, 200]
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Se informó de más escucha que el tiempo que ha pasado."
    )
    assert HeardSpan.objects.filter(user=ana).count() == 3
    settings.ONDAS_CLOCK_SHIFT = timedelta(hours=2)
    assert report(client, episode, 4, slow).status_code == 200
