"""Enclosures of private feeds: the token stands in for the session, the right
to listen is asked on every request, and sharing is noticed.

Every test runs twice, through the real WSGI entry (``ondas.wsgi``): by the
lean audio path and by the full middleware stack.
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.http import FileResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks as CaptureOnCommit
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing.models import Plan
from ondas.catalog.models import Episode, Show
from ondas.catalog.services import audio_file_create, episode_create, show_create
from ondas.feedkeys.models import PrivateFeedKey, PrivateFeedKeyUse
from tests.support.private_feeds import key_make, subscribe
from tests.support.wsgi_client import PATHS, WsgiClient

SIZE = 4_000
AUDIO = random.Random(20251127).randbytes(SIZE)
PUBLISHED = datetime(2025, 5, 1, tzinfo=UTC)
# Emails go out in the storefront's language (Spanish).
RESET_SUBJECT = "Reemplazamos la dirección de tu feed privado"
FLAGGED_SUBJECT = "Puede que tu feed privado se haya compartido"
SHARED_SUBJECTS = {RESET_SUBJECT, FLAGGED_SUBJECT}


def _episode(show: Show, guid: str, access: str) -> Episode:
    audio = audio_file_create(
        name=f"{guid}.mp3",
        content=io.BytesIO(AUDIO),
        mime_type="audio/mpeg",
        duration_seconds=1.0,
    )
    return episode_create(
        show=show,
        guid=guid,
        title=guid,
        published_at=PUBLISHED,
        access=access,
        audio=audio,
    )


@pytest.fixture(params=PATHS)
def client(request: pytest.FixtureRequest) -> WsgiClient:
    """Django's test client over the lean path or the full stack (``ondas.wsgi``)."""
    return WsgiClient(request.param)


@pytest.fixture
def show(db: None) -> Show:
    return show_create(title="Sala privada", author="Ana", language="es")


@pytest.fixture
def exclusive(show: Show) -> Episode:
    return _episode(show, "exclusivo", Episode.Access.EXCLUSIVE)


@pytest.fixture
def keyed(listener: User, plan: Plan, show: Show) -> tuple[PrivateFeedKey, str]:
    subscribe(listener, plan)
    return key_make(listener, show)


@pytest.fixture
def english(client: Client, settings: Settings) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def url(episode: Episode, token: str) -> str:
    assert episode.audio is not None
    return reverse("playback:private-audio", args=[episode.audio.pk, token, "mp3"])


def _body(response: FileResponse) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def shared_mail() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.subject in SHARED_SUBJECTS]


# Delivery -------------------------------------------------------------------


def test_enclosure_sends_ranges_privately(
    client: Client, exclusive: Episode, keyed: tuple[PrivateFeedKey, str]
) -> None:
    _key, token = keyed
    response = client.get(url(exclusive, token), headers={"range": "bytes=10-19"})

    assert response.status_code == 206
    assert _body(response) == AUDIO[10:20]
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Type"] == "audio/mpeg"

    head = client.head(url(exclusive, token))
    assert head.status_code == 200
    assert head["Content-Length"] == str(SIZE)


def test_enclosure_behind_nginx_is_an_accel_redirect(
    client: Client,
    settings: Settings,
    exclusive: Episode,
    keyed: tuple[PrivateFeedKey, str],
) -> None:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    response = client.get(url(exclusive, keyed[1]))

    assert response.status_code == 200
    assert exclusive.audio is not None
    assert response["X-Accel-Redirect"] == (
        "/_protected_media/" + exclusive.audio.file.name
    )
    assert response["Cache-Control"] == "private, no-cache"


def test_audio_of_another_show_or_an_unknown_token_is_not_found(
    english: Client, exclusive: Episode, keyed: tuple[PrivateFeedKey, str]
) -> None:
    other = show_create(title="Otra", author="Ana", language="es")
    elsewhere = _episode(other, "ajeno", Episode.Access.FREE)

    foreign = english.get(url(elsewhere, keyed[1]))
    unknown = english.get(url(exclusive, "B" * 43))

    assert (foreign.status_code, unknown.status_code) == (404, 404)
    assert unknown["Content-Type"] == "text/plain; charset=utf-8"
    assert b"This private feed address does not work" in unknown.content


def test_enclosure_refuses_at_once_when_the_period_ends(
    english: Client,
    settings: Settings,
    listener: User,
    plan: Plan,
    show: Show,
    exclusive: Episode,
) -> None:
    sub = subscribe(listener, plan)
    _key, token = key_make(listener, show)
    free = _episode(show, "libre", Episode.Access.FREE)

    settings.ONDAS_CLOCK_SHIFT = sub.current_period_end - datetime.now(tz=UTC)
    settings.ONDAS_CLOCK_SHIFT -= timedelta(minutes=1)
    assert english.get(url(exclusive, token)).status_code == 200
    settings.ONDAS_CLOCK_SHIFT += timedelta(minutes=2)

    for episode in (exclusive, free):
        refused = english.get(url(episode, token))
        assert refused.status_code == 403
        assert refused["Content-Type"] == "text/plain; charset=utf-8"
        assert refused["Cache-Control"] == "private, no-store"
        assert refused.content.decode() == (
            "Your subscription has ended, so this private feed no longer plays. "
            "Renew it at http://127.0.0.1:8000/plans/ to listen again.\n"
        )


# Sharing detection -----------------------------------------------------------


def _from_networks(
    client: Client, episode: Episode, token: str, count: int
) -> list[int]:
    return [
        client.get(url(episode, token), REMOTE_ADDR=f"198.51.{n}.7").status_code
        for n in range(count)
    ]


def test_too_many_networks_reset_the_address_and_tell_the_subscriber(
    client: Client,
    settings: Settings,
    exclusive: Episode,
    keyed: tuple[PrivateFeedKey, str],
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    settings.ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY = 3
    key, token = keyed

    # Addresses within one /24 are one network; so is a /48 in IPv6.
    same = ["203.0.113.1", "203.0.113.200", "2001:db8:1:2::1", "2001:db8:1:ffff::9"]
    for address in same:
        assert client.get(url(exclusive, token), REMOTE_ADDR=address).status_code == 200
    assert _from_networks(client, exclusive, token, 1) == [200]
    assert shared_mail() == []

    # The request that makes it N+1 networks finds the address already replaced.
    with django_capture_on_commit_callbacks(execute=True):
        assert _from_networks(client, exclusive, token, 2) == [200, 404]

    key.refresh_from_db()
    assert key.flagged_at is not None and key.revoked_at is not None
    successor = PrivateFeedKey.objects.get(user=key.user, revoked_at__isnull=True)
    assert successor.origin == PrivateFeedKey.Origin.RESET_SHARED
    assert client.get(url(exclusive, token)).status_code == 404
    new = successor.token()
    assert new is not None
    assert client.get(url(exclusive, new)).status_code == 200

    [message] = shared_mail()
    assert message.to == ["oyente@example.com"]
    assert message.subject == RESET_SUBJECT
    assert "la anterior ya no funciona" in message.body
    assert "http://127.0.0.1:8000/account/#private-feeds" in message.body


def test_without_auto_reset_a_shared_address_is_flagged_and_keeps_working(
    client: Client,
    settings: Settings,
    exclusive: Episode,
    keyed: tuple[PrivateFeedKey, str],
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    settings.ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY = 2
    settings.ONDAS_PRIVATE_FEED_AUTO_RESET = False
    key, token = keyed

    with django_capture_on_commit_callbacks(execute=True):
        assert _from_networks(client, exclusive, token, 6) == [200] * 6

    key.refresh_from_db()
    assert key.flagged_at is not None and key.revoked_at is None
    [message] = shared_mail()  # once a day, however many more networks
    assert message.subject == FLAGGED_SUBJECT
    assert PrivateFeedKey.objects.filter(user=key.user).count() == 1


def test_too_many_apps_on_the_feed_flag_it(
    client: Client,
    settings: Settings,
    show: Show,
    exclusive: Episode,
    keyed: tuple[PrivateFeedKey, str],
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    settings.ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY = 2
    key, token = keyed
    feed = reverse("feeds:private-feed", args=[token, show.slug])
    apps = ["Overcast/3.0", "AntennaPod/3.4", "PocketCasts/1.0"]

    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.get(feed, HTTP_USER_AGENT=app).status_code for app in apps]

    assert answers == [200, 200, 404]
    assert [m.subject for m in shared_mail()] == [RESET_SUBJECT]
    # Feed fetches (often from an app's servers) count no networks.
    assert not PrivateFeedKeyUse.objects.filter(key=key, kind="network").exists()


def test_the_client_address_comes_from_the_trusted_proxy_header(
    client: Client,
    settings: Settings,
    exclusive: Episode,
    keyed: tuple[PrivateFeedKey, str],
) -> None:
    settings.ONDAS_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.ONDAS_TRUSTED_PROXY_COUNT = 1
    settings.ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY = 1
    key, token = keyed

    # Behind nginx every request comes from 127.0.0.1; the header tells them apart.
    first = client.get(
        url(exclusive, token), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1"
    )
    second = client.get(
        url(exclusive, token),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.9, 198.51.100.4",
    )

    assert (first.status_code, second.status_code) == (200, 404)


def test_a_known_network_and_app_cost_no_write(
    client: Client,
    exclusive: Episode,
    keyed: tuple[PrivateFeedKey, str],
) -> None:
    _key, token = keyed
    client.get(url(exclusive, token), REMOTE_ADDR="192.0.2.1")
    before = PrivateFeedKeyUse.objects.count()

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(exclusive, token), REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert PrivateFeedKeyUse.objects.count() == before == 2
    # the key, the audio, the day's uses, the subscription
    assert len(queries) == 4
