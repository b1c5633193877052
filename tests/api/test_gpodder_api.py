"""gpodder.net API v2 through Django's client: sessions, refusals in the one
error shape, bad uploads that change nothing, private feeds, rights and the
rate limit."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.access_tokens import access_token_create, access_token_revoke
from ondas.accounts.models import User
from ondas.accounts.services import user_delete
from ondas.catalog.models import Episode, Show
from ondas.core import clock
from ondas.feedkeys.services import feed_key_create
from ondas.library.models import EpisodeAction, Follow, SubscriptionEvent, SyncDevice
from ondas.playback.selectors import progress_get
from tests.accounts.factories import user_make
from tests.support.billing import PASSWORD, SUBSCRIBER_EMAIL

pytestmark = pytest.mark.django_db

SUBS = f"/api/2/subscriptions/{SUBSCRIBER_EMAIL}/phone.json"
EPISODES = f"/api/2/episodes/{SUBSCRIBER_EMAIL}.json"


def basic(name: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


def post(client: Client, path: str, body: object, **headers: str) -> Any:
    # As urllib sends it: JSON labelled as a form.
    return client.post(
        path,
        json.dumps(body),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


@pytest.fixture
def creds(demo_subscriber: User) -> dict[str, str]:
    return basic(SUBSCRIBER_EMAIL, PASSWORD)


def feed_url(show: Show) -> str:
    return "http://testserver" + reverse("feeds:show-feed", args=[show.slug])


def test_gpodder_without_credentials_is_challenged(demo_subscriber: User) -> None:
    answer = Client().get(SUBS)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith('Basic realm="Ondas"')
    assert answer.json()["error"]["code"] == "sign_in_required"


def test_gpodder_login_session_stands_in_until_logout(
    demo_subscriber: User, creds: dict[str, str]
) -> None:
    app = Client()
    login = app.post(f"/api/2/auth/{SUBSCRIBER_EMAIL}/login.json", **creds)
    assert login.status_code == 200
    assert app.get(SUBS).status_code == 200  # the cookie alone
    app.post(f"/api/2/auth/{SUBSCRIBER_EMAIL}/logout.json")
    assert app.get(SUBS).status_code == 401


def test_gpodder_site_session_alone_is_not_enough(demo_subscriber: User) -> None:
    """The site's session has no CSRF check here, so it does not count."""
    browser = Client()
    browser.force_login(demo_subscriber)
    assert browser.get(SUBS).status_code == 401


def test_gpodder_session_opened_with_token_ends_with_it(
    demo_subscriber: User,
) -> None:
    made = access_token_create(
        user=demo_subscriber, name="AntennaPod", scope="write", now=clock.now()
    )
    app = Client()
    elsewhere = "/api/2/subscriptions/otra@example.com/phone.json"
    assert app.get(elsewhere, **basic(SUBSCRIBER_EMAIL, made.secret)).status_code == 401
    assert app.get(SUBS, **basic(SUBSCRIBER_EMAIL, made.secret)).status_code == 200
    assert app.get(SUBS).status_code == 200
    access_token_revoke(user=demo_subscriber, token_id=made.token.pk, now=clock.now())
    refused = app.get(SUBS)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "access_token_invalid"


def test_gpodder_wrong_passwords_count_as_failed_sign_ins(
    demo_subscriber: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL = 2
    app = Client()
    for _try in range(2):
        assert app.get(SUBS, **basic(SUBSCRIBER_EMAIL, "nope")).status_code == 401
    limited = app.get(SUBS, **basic(SUBSCRIBER_EMAIL, PASSWORD))
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "sign_in_rate_limited"
    assert int(limited["Retry-After"]) > 0


def test_gpodder_bad_uploads_change_nothing(
    demo_subscriber: User, demo_catalog: Show, creds: dict[str, str]
) -> None:
    app = Client()
    both = post(
        app,
        SUBS,
        {"add": [feed_url(demo_catalog)], "remove": ["ftp://x/feed"]},
        **creds,
    )
    assert both.status_code == 400
    assert both.json()["error"]["field"] == "remove"
    assert not Follow.objects.exists()
    assert not SubscriptionEvent.objects.exists()

    same = feed_url(demo_catalog)
    clash = post(app, SUBS, {"add": [same], "remove": [same]}, **creds)
    assert clash.status_code == 400
    not_json = app.post(SUBS, "add=1", content_type="text/plain", **creds)
    assert not_json.status_code == 400
    assert not_json.json()["error"]["code"] == "invalid_request"

    episode = demo_catalog.episodes.first()
    assert episode is not None
    good = {"podcast": same, "episode": episode.guid, "action": "play", "position": 5}
    for bad in (
        {**good, "action": "flattr"},
        {**good, "action": "download"},  # a position only for plays
        {**good, "position": -1},
        {"podcast": same, "action": "play"},
    ):
        refused = post(app, EPISODES, [good, bad], **creds)
        assert refused.status_code == 400, bad
        assert refused.json()["error"]["code"] == "invalid_request"
    assert not EpisodeAction.objects.exists()
    assert (
        progress_get(user=demo_subscriber, kind="episode", item_id=episode.pk) is None
    )
    bad_since = app.get(SUBS + "?since=yesterday", **creds)
    assert bad_since.json()["error"]["field"] == "since"
    assert app.delete(SUBS, **creds).status_code == 405


def test_gpodder_maps_own_private_feed_not_someone_elses(
    demo_subscriber: User, demo_catalog: Show, creds: dict[str, str]
) -> None:
    now = clock.now()
    exclusive_show = Show.objects.filter(
        episodes__access=Episode.Access.EXCLUSIVE
    ).first()
    assert exclusive_show is not None
    key = feed_key_create(user=demo_subscriber, show=exclusive_show, now=now)
    own = "http://testserver" + reverse(
        "feeds:private-feed", args=[key.token(), exclusive_show.slug]
    )
    other = user_make(email="otra@example.com")
    answer = post(app := Client(), SUBS, {"add": [own]}, **creds)
    assert answer.status_code == 200
    assert Follow.objects.filter(user=demo_subscriber, show=exclusive_show).exists()
    # The same address sent by another person is theirs to keep, unmatched.
    theirs = basic("otra@example.com", "correct horse battery staple")
    post(
        Client(),
        "/api/2/subscriptions/otra@example.com/tv.json",
        {"add": [own]},
        **theirs,
    )
    assert not Follow.objects.filter(user=other).exists()
    assert SubscriptionEvent.objects.get(user=other).show is None
    # Plays of that feed name the private enclosure, token and all.
    assert app.get(SUBS, **creds).json()["add"] == [own]


def test_gpodder_exclusive_play_without_rights_is_kept_not_applied(
    demo_catalog: Show,
) -> None:
    listener = user_make(email="sinplan@example.com")
    episode = Episode.objects.filter(access=Episode.Access.EXCLUSIVE).first()
    assert episode is not None
    action = {
        "podcast": feed_url(episode.show),
        "episode": episode.guid,
        "action": "play",
        "position": 30,
    }
    creds = basic(listener.email, "correct horse battery staple")
    answer = post(Client(), f"/api/2/episodes/{listener.email}.json", [action], **creds)
    assert answer.status_code == 200
    kept = EpisodeAction.objects.get(user=listener)
    assert kept.episode == episode
    assert progress_get(user=listener, kind="episode", item_id=episode.pk) is None


def test_gpodder_is_rate_limited(
    demo_subscriber: User,
    creds: dict[str, str],
    settings: Settings,
    throttle_clock: float,
) -> None:
    settings.ONDAS_API_RATE_LIMIT = 2
    app = Client()
    assert [app.get(SUBS, **creds).status_code for _n in range(3)] == [200, 200, 429]


def test_gpodder_sync_is_forgotten_with_the_account(
    demo_subscriber: User, demo_catalog: Show, creds: dict[str, str]
) -> None:
    post(
        Client(),
        SUBS,
        {"add": [feed_url(demo_catalog), "https://x.example/f"]},
        **creds,
    )
    assert SyncDevice.objects.filter(user=demo_subscriber).exists()
    user_delete(user=demo_subscriber, password=PASSWORD)
    assert not SyncDevice.objects.filter(user=demo_subscriber).exists()
    assert not SubscriptionEvent.objects.filter(user=demo_subscriber).exists()


def test_gpodder_session_is_not_a_site_session(
    demo_subscriber: User, creds: dict[str, str]
) -> None:
    """A token or password given to a podcast app opens this API only."""
    made = access_token_create(
        user=demo_subscriber, name="Reader", scope="read", now=clock.now()
    )
    for credentials in (creds, basic(SUBSCRIBER_EMAIL, made.secret)):
        app = Client()
        assert app.get(SUBS, **credentials).status_code == 200
        account = app.get(reverse("accounts:account"))
        assert account.status_code == 302
        assert account["Location"].startswith(reverse("accounts:sign-in"))


def test_gpodder_session_ends_when_the_password_changes(
    demo_subscriber: User, creds: dict[str, str]
) -> None:
    app = Client()
    assert app.get(SUBS, **creds).status_code == 200
    demo_subscriber.set_password("another long passphrase here")
    demo_subscriber.save(update_fields=["password"])
    assert app.get(SUBS).status_code == 401
