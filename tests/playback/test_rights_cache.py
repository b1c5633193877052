"""Kept yes answers of the lean audio path end by nginx's rule, or sooner.

nginx keeps Ondas's yes for ``X-Accel-Expires`` seconds per file and session;
the lean path keeps it per worker by the same rule (``yes_keep_seconds``:
the TTL, never past the listener's period, never for book parts). On top,
a change this server makes (a subscription ends, a person signs out, audio
becomes exclusive) ends the kept answers it touches at once, in every worker.
"""

from __future__ import annotations

import io
import os
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing.models import Plan, Subscription
from ondas.billing.services import (
    subscription_cancel,
    subscription_end_for_deleted_user,
)
from ondas.catalog.models import Audiobook, AudioFile, Episode, Show
from ondas.catalog.services import audio_file_create, episode_create, show_create
from ondas.core import clock
from ondas.playback.rights_cache import (
    catalog_epoch,
    catalog_epoch_bump,
    epoch_bump,
    epoch_of,
    rights_cache,
)
from tests.support.billing import subscribe
from tests.support.wsgi_client import WsgiClient, body_of

SIZE = 3_000
AUDIO = random.Random(20261207).randbytes(SIZE)
TTL = 3_600  # long: only the rule under test can end a kept yes


@pytest.fixture(autouse=True)
def long_ttl(settings: Settings) -> None:
    settings.ONDAS_AUDIO_RIGHTS_TTL = TTL


@pytest.fixture
def show(db: None) -> Show:
    return show_create(title="Guardado", author="Ana", language="es")


def _episode(show: Show, access: str) -> Episode:
    audio = audio_file_create(
        name=f"{access}.mp3",
        content=io.BytesIO(AUDIO),
        mime_type="audio/mpeg",
        duration_seconds=30.0,
    )
    return episode_create(
        show=show,
        guid=access,
        title=access,
        published_at=timezone.now() - timedelta(days=1),
        access=access,
        audio=audio,
    )


@pytest.fixture
def exclusive(show: Show) -> Episode:
    return _episode(show, Episode.Access.EXCLUSIVE)


@pytest.fixture
def free(show: Show) -> Episode:
    return _episode(show, Episode.Access.FREE)


@pytest.fixture
def trial(user: User, premium: Plan) -> Subscription:
    """``user`` in the first days of a trial, started now."""
    return subscribe(user, premium)


def _url(episode: Episode) -> str:
    audio = episode.audio
    assert isinstance(audio, AudioFile)
    return reverse("playback:audio-ext", args=[audio.pk, "mp3"])


def _listener(user: User | None) -> WsgiClient:
    client = WsgiClient("lean")
    if user is not None:
        client.force_login(user)
    return client


def _status(client: Client, episode: Episode) -> int:
    response = client.get(_url(episode), headers={"range": "bytes=0-99"})
    if response.status_code == 206:
        assert body_of(response) == AUDIO[:100]
    return response.status_code


def _until_period_end(sub: Subscription, settings: Settings, delta: timedelta) -> None:
    """Move the clock to ``delta`` from the end of ``sub``'s period."""
    settings.ONDAS_CLOCK_SHIFT = sub.current_period_end + delta - timezone.now()


def test_a_kept_yes_asks_nothing_then_is_asked_again_after_the_ttl(
    settings: Settings,
    free: Episode,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    settings.ONDAS_AUDIO_RIGHTS_TTL = 10
    client = _listener(None)
    assert _status(client, free) == 206

    with django_assert_num_queries(0):
        assert _status(client, free) == 206
    settings.ONDAS_CLOCK_SHIFT = timedelta(seconds=10)
    with django_assert_num_queries(1):
        assert _status(client, free) == 206


def test_a_subscription_that_ends_now_is_refused_at_the_next_request(
    user: User,
    trial: Subscription,
    exclusive: Episode,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    client = _listener(user)
    assert _status(client, exclusive) == 206
    with django_assert_num_queries(0):
        assert _status(client, exclusive) == 206  # kept

    subscription_end_for_deleted_user(user=user, now=clock.now())

    assert _status(client, exclusive) == 403


def test_cancelling_plays_to_the_period_end_then_refuses_with_nothing_run(
    settings: Settings, user: User, trial: Subscription, exclusive: Episode
) -> None:
    client = _listener(user)
    assert _status(client, exclusive) == 206

    subscription_cancel(subscription=trial, acting_user=user, now=clock.now())
    # The change was seen (asked again), and the period still holds.
    with CaptureQueriesContext(connection) as asked:
        assert _status(client, exclusive) == 206
    assert len(asked) > 0
    _until_period_end(trial, settings, -timedelta(seconds=5))
    assert _status(client, exclusive) == 206
    _until_period_end(trial, settings, timedelta(seconds=1))

    # No billing run has expired it: the kept yes ended with the period.
    trial.refresh_from_db()
    assert trial.status == Subscription.Status.TRIALING
    assert _status(client, exclusive) == 403


def test_a_trial_ending_ends_its_kept_yes_as_nginx_would_keep_it(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    user: User,
    trial: Subscription,
    exclusive: Episode,
) -> None:
    """The one rule: nginx is told to keep the yes 30 s, the lean path keeps it 30 s."""
    # The clock stands still here: on a busy box a request may take longer
    # than any slack given to a running clock.
    stopped = timezone.now()
    monkeypatch.setattr(clock, "timezone_now", lambda: stopped)
    end = trial.current_period_end
    settings.ONDAS_CLOCK_SHIFT = end - timedelta(seconds=30.5) - stopped
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    rights = Client()
    rights.force_login(user)
    answer = rights.get(f"/audio/{exclusive.audio_id}/rights")
    assert answer.status_code == 200
    assert answer["X-Accel-Expires"] == "30"
    settings.ONDAS_AUDIO_ACCEL_PREFIX = ""

    client = _listener(user)
    assert _status(client, exclusive) == 206
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    kept = rights_cache.get(
        audio_id=exclusive.audio_id, session_key=session, now=clock.now()
    )
    assert kept is not None
    assert kept.expires_at - clock.now() <= timedelta(seconds=30)
    assert kept.expires_at - clock.now() > timedelta(seconds=29)

    settings.ONDAS_CLOCK_SHIFT = end - stopped
    assert _status(client, exclusive) == 403


def test_signing_out_ends_the_kept_yes_of_the_old_cookie(
    settings: Settings, user: User, trial: Subscription, exclusive: Episode
) -> None:
    client = _listener(user)
    assert _status(client, exclusive) == 206
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.logout()  # user_logged_out, as the sign-out page sends it
    replay = _listener(None)
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie

    assert _status(replay, exclusive) == 403


def test_audio_made_exclusive_stops_playing_for_free_at_once(free: Episode) -> None:
    client = _listener(None)
    assert _status(client, free) == 206

    free.access = Episode.Access.EXCLUSIVE
    free.save(update_fields=["access", "updated_at"])

    assert _status(client, free) == 403


def test_a_book_part_yes_is_never_kept(
    demo_subscriber: User, demo_book: Audiobook
) -> None:
    """A part is metered against the listener's hours: asked every time."""
    part = demo_book.parts.order_by("position").first()
    assert part is not None
    client = _listener(demo_subscriber)
    url = reverse("playback:audio", args=[part.audio_id])

    for _time in range(2):
        assert client.get(url, headers={"range": "bytes=0-9"}).status_code == 206
        assert len(rights_cache) == 0


def test_epochs_are_shared_with_forked_workers() -> None:
    """A change seen by one worker of `ondas serve` ends kept answers in all.

    The epochs live in memory mapped before the fork (the app is preloaded
    in the arbiter), as this process's are before this fork.
    """
    person = 4_242
    before_person, before_catalog = epoch_of(person), catalog_epoch()
    child = os.fork()
    if child == 0:  # the other worker: bump and leave at once
        try:
            epoch_bump(person)
            catalog_epoch_bump()
        finally:
            os._exit(0)
    _pid, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert epoch_of(person) != before_person
    assert catalog_epoch() != before_catalog
