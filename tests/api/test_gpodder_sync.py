"""gpodder.net API v2 against a running server, driven by mygpoclient (the
library gPodder itself syncs with): follows and an episode position go from
an app to Ondas and from Ondas to another app."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

import defusedxml.ElementTree as ElementTree
import pytest
from django.urls import reverse
from mygpoclient.api import EpisodeAction, MygPodderClient
from mygpoclient.http import Unauthorized, UnknownResponse
from mygpoclient.simple import SimpleClient
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.access_tokens import access_token_create
from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.core import clock
from ondas.library.models import Follow, SubscriptionEvent
from ondas.library.services import follow_show, unfollow_show
from ondas.playback.selectors import progress_get
from ondas.playback.services import progress_save
from tests.support.billing import PASSWORD, SUBSCRIBER_EMAIL

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN = "https://elsewhere.example/podcast/feed.xml"


def app(live_server: LiveServer, password: str = PASSWORD) -> MygPodderClient:
    return MygPodderClient(SUBSCRIBER_EMAIL, password, root_url=live_server.url)


def enclosure_of(feed_url: str, episode: Episode) -> str:
    """The enclosure the public feed gives the episode, as an app reads it."""
    with urllib.request.urlopen(feed_url, timeout=10) as response:  # noqa: S310
        channel = ElementTree.fromstring(response.read()).find("channel")
    assert channel is not None
    for item in channel.iter("item"):
        if item.findtext("guid") == episode.guid:
            enclosure = item.find("enclosure")
            assert enclosure is not None
            return str(enclosure.get("url"))
    raise AssertionError("episode not in its feed")


def test_subscriptions_sync_both_ways(
    live_server: LiveServer, demo_subscriber: User, demo_catalog: Show
) -> None:
    phone, laptop = app(live_server), app(live_server)
    feed_url = live_server.url + reverse("feeds:show-feed", args=[demo_catalog.slug])
    assert phone.update_device_settings("phone", caption="Phone", type="mobile")

    # App → Ondas: the show is followed; the address Ondas lacks is kept.
    phone.update_subscriptions("phone", add_urls=[feed_url, UNKNOWN])
    assert Follow.objects.filter(user=demo_subscriber, show=demo_catalog).exists()
    assert SubscriptionEvent.objects.filter(url=UNKNOWN, show__isnull=True).exists()

    # Ondas → another app: both addresses, the unknown one included.
    first = laptop.pull_subscriptions("laptop")
    assert sorted(first.add) == sorted([feed_url, UNKNOWN])
    assert first.remove == []

    # Unfollowed on the site, followed another show: the apps are told.
    other = Show.objects.exclude(pk=demo_catalog.pk).filter(episodes__isnull=False)[0]
    unfollow_show(user=demo_subscriber, show=demo_catalog)
    follow_show(user=demo_subscriber, show=other)
    later = laptop.pull_subscriptions("laptop", since=first.since)
    other_url = live_server.url + reverse("feeds:show-feed", args=[other.slug])
    assert feed_url in later.remove
    assert feed_url not in later.add
    assert other_url in later.add

    # The laptop drops the unknown feed: the phone hears of it.
    laptop.update_subscriptions("laptop", remove_urls=[UNKNOWN])
    again = phone.pull_subscriptions("phone", since=later.since)
    assert UNKNOWN in again.remove

    devices = {d.device_id: d for d in phone.get_devices()}
    assert set(devices) == {"phone", "laptop"}
    assert devices["phone"].type == "mobile"
    assert devices["phone"].caption == "Phone"
    assert devices["phone"].subscriptions == 1  # the other show


def test_simple_client_replaces_and_reads_a_device_list(
    live_server: LiveServer, demo_subscriber: User, demo_catalog: Show
) -> None:
    old = SimpleClient(SUBSCRIBER_EMAIL, PASSWORD, root_url=live_server.url)
    feed_url = live_server.url + reverse("feeds:show-feed", args=[demo_catalog.slug])

    assert old.put_subscriptions("n900", [feed_url, UNKNOWN])
    assert Follow.objects.filter(user=demo_subscriber, show=demo_catalog).exists()
    assert sorted(old.get_subscriptions("n900")) == sorted([feed_url, UNKNOWN])
    # An app on API v2 sees the same library.
    assert sorted(app(live_server).pull_subscriptions("phone").add) == sorted(
        [feed_url, UNKNOWN]
    )

    assert old.put_subscriptions("n900", [UNKNOWN])
    assert not Follow.objects.filter(user=demo_subscriber).exists()
    assert old.get_subscriptions("n900") == [UNKNOWN]


def test_episode_position_syncs_both_ways(
    live_server: LiveServer, demo_subscriber: User, page_faults_episode: Episode
) -> None:
    phone, laptop = app(live_server), app(live_server)
    show = page_faults_episode.show
    feed_url = live_server.url + reverse("feeds:show-feed", args=[show.slug])
    enclosure = enclosure_of(feed_url, page_faults_episode)
    phone.update_subscriptions("phone", add_urls=[feed_url])
    heard_at = (clock.now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")

    # App → Ondas: the play's position is the listener's place (the web
    # player reads the same progress).
    since = phone.upload_episode_actions(
        [
            EpisodeAction(
                feed_url,
                enclosure,
                "play",
                device="phone",
                timestamp=heard_at,
                started=10,
                position=42,
                total=int(page_faults_episode.duration_seconds),
            )
        ]
    )
    place = progress_get(
        user=demo_subscriber, kind="episode", item_id=page_faults_episode.pk
    )
    assert place is not None
    assert place.position_seconds == 42

    # The other app gets the phone's action back.
    pulled = laptop.download_episode_actions()
    assert [(a.episode, a.position, a.device) for a in pulled.actions] == [
        (enclosure, 42, "phone")
    ]

    # Ondas → app: the web player moves the place; the laptop is told, with
    # the enclosure address the feed it follows gives.
    now = clock.now()
    progress_save(
        user=demo_subscriber,
        kind="episode",
        item_id=page_faults_episode.pk,
        position_seconds=75.5,
        played_at=now,
        device="web",
        now=now,
    )
    changes = laptop.download_episode_actions(since=since)
    plays = [a for a in changes.actions if a.device is None]
    assert len(plays) == 1
    assert (plays[0].podcast, plays[0].episode, plays[0].action) == (
        feed_url,
        enclosure,
        "play",
    )
    assert plays[0].position == 75

    # An older play from an app does not move the newer place back.
    phone.upload_episode_actions(
        [
            EpisodeAction(
                feed_url, enclosure, "play", timestamp=heard_at, position=10, total=99
            )
        ]
    )
    place = progress_get(
        user=demo_subscriber, kind="episode", item_id=page_faults_episode.pk
    )
    assert place is not None and place.position_seconds == 75.5


def test_credentials_are_checked(
    live_server: LiveServer, demo_subscriber: User
) -> None:
    with pytest.raises(Unauthorized):
        app(live_server, password="wrong password").get_devices()
    write = access_token_create(
        user=demo_subscriber, name="AntennaPod", scope="write", now=clock.now()
    )
    assert app(live_server, password=write.secret).get_devices() == []
    read = access_token_create(
        user=demo_subscriber, name="Reader", scope="read", now=clock.now()
    )
    reader = app(live_server, password=read.secret)
    assert reader.pull_subscriptions("phone").add == []
    with pytest.raises(UnknownResponse) as refused:
        reader.update_subscriptions("phone", add_urls=[UNKNOWN])
    assert refused.value.args == (403,)
    stranger = MygPodderClient(
        "someone@example.com", write.secret, root_url=live_server.url
    )
    with pytest.raises(Unauthorized):
        stranger.get_devices()
