"""gpodder.net's Simple API through Django's client: a device's whole list read
as OPML, JSON and text, and replaced by an upload that follows what is new,
unfollows what is missing, counts a show once whatever address names it, and
changes nothing when the upload is bad."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.core import clock
from ondas.feedkeys.services import feed_key_create
from ondas.library.models import Follow, SubscriptionEvent
from ondas.library.opml import opml_parse
from ondas.library.services import follow_show
from tests.api.test_gpodder_api import basic, feed_url
from tests.support.billing import PASSWORD, SUBSCRIBER_EMAIL

pytestmark = pytest.mark.django_db

UNKNOWN = "https://elsewhere.example/podcast/feed.xml"
DEVICE = f"/subscriptions/{SUBSCRIBER_EMAIL}/phone"
ALL = f"/subscriptions/{SUBSCRIBER_EMAIL}"


@pytest.fixture
def creds(demo_subscriber: User) -> dict[str, str]:
    return basic(SUBSCRIBER_EMAIL, PASSWORD)


def put(path: str, body: str | bytes, creds: dict[str, str]) -> int:
    return Client().put(path, body, content_type="text/plain", **creds).status_code


def followed(user: User) -> set[int]:
    return set(Follow.objects.filter(user=user).values_list("show_id", flat=True))


def other_show(show: Show) -> Show:
    return Show.objects.exclude(pk=show.pk).filter(episodes__isnull=False)[0]


def test_simple_api_asks_for_credentials(demo_subscriber: User) -> None:
    answer = Client().get(DEVICE + ".json")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Basic")
    assert (
        Client().get(DEVICE + ".xml", **basic(SUBSCRIBER_EMAIL, PASSWORD)).status_code
        == 404
    )


def test_simple_api_reads_one_list_in_three_formats(
    demo_subscriber: User, demo_catalog: Show, creds: dict[str, str]
) -> None:
    assert (
        put(DEVICE + ".json", json.dumps([feed_url(demo_catalog), UNKNOWN]), creds)
        == 200
    )
    assert demo_catalog.pk in followed(demo_subscriber)

    as_json = Client().get(DEVICE + ".json", **creds)
    assert as_json.status_code == 200
    assert as_json["Cache-Control"] == "private, no-store"
    assert as_json.json() == [feed_url(demo_catalog), UNKNOWN]

    as_text = Client().get(DEVICE + ".txt", **creds)
    assert as_text["Content-Type"].startswith("text/plain")
    assert as_text.content.decode().splitlines() == [feed_url(demo_catalog), UNKNOWN]

    as_opml = Client().get(DEVICE + ".opml", **creds)
    feeds = opml_parse(as_opml.content)
    assert [f.xml_url for f in feeds] == [feed_url(demo_catalog), UNKNOWN]
    assert feeds[0].title == demo_catalog.title

    # One library: another device, and the list of all devices, read the same.
    laptop = Client().get(f"/subscriptions/{SUBSCRIBER_EMAIL}/laptop.json", **creds)
    assert laptop.json() == as_json.json()
    assert Client().get(ALL + ".json", **creds).json() == as_json.json()


def test_simple_api_upload_replaces_the_list(
    demo_subscriber: User, demo_catalog: Show, creds: dict[str, str]
) -> None:
    other = other_show(demo_catalog)
    put(DEVICE + ".txt", f"{feed_url(demo_catalog)}\n{UNKNOWN}\n", creds)

    # The next list lacks both and names another show: both go, it comes.
    assert put(DEVICE + ".txt", f"\n{feed_url(other)}\n\n", creds) == 200
    assert followed(demo_subscriber) == {other.pk}
    assert Client().get(DEVICE + ".json", **creds).json() == [feed_url(other)]
    # The apps on API v2 hear of the removals.
    since = int(clock.now().timestamp()) - 60
    changes = (
        Client()
        .get(f"/api/2/subscriptions/{SUBSCRIBER_EMAIL}/tv.json?since={since}", **creds)
        .json()
    )
    assert feed_url(demo_catalog) in changes["remove"]
    assert UNKNOWN in changes["remove"]
    assert feed_url(other) in changes["add"]


def test_simple_api_same_upload_twice_changes_nothing(
    demo_subscriber: User, demo_catalog: Show, creds: dict[str, str]
) -> None:
    body = json.dumps([feed_url(demo_catalog), UNKNOWN])
    put(DEVICE + ".json", body, creds)
    events = SubscriptionEvent.objects.filter(user=demo_subscriber).count()
    assert put(DEVICE + ".json", body, creds) == 200
    assert SubscriptionEvent.objects.filter(user=demo_subscriber).count() == events


def test_simple_api_counts_a_show_once_whatever_address_names_it(
    demo_subscriber: User, demo_catalog: Show, creds: dict[str, str]
) -> None:
    exclusive = Show.objects.filter(episodes__access=Episode.Access.EXCLUSIVE).first()
    assert exclusive is not None
    follow_show(user=demo_subscriber, show=exclusive)
    key = feed_key_create(user=demo_subscriber, show=exclusive, now=clock.now())
    private = "http://testserver" + reverse(
        "feeds:private-feed", args=[key.token(), exclusive.slug]
    )
    # The site lists it by its public feed; the app by its private one.
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        f'<outline type="rss" text="x" xmlUrl="{private}"/></body></opml>'
    )
    assert put(DEVICE + ".opml", opml, creds) == 200
    assert followed(demo_subscriber) == {exclusive.pk}
    assert not SubscriptionEvent.objects.filter(
        user=demo_subscriber, action=SubscriptionEvent.Action.REMOVE
    ).exists()


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("json", '{"add": []}'),
        ("json", '["https://a.example/feed", 3]'),
        ("json", "not json"),
        ("txt", "https://a.example/feed\nftp://b.example/feed\n"),
        ("txt", b"https://a.example/\xff\n"),
        ("opml", "<opml><body><outline"),
        ("opml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><opml/>'),
    ],
)
def test_simple_api_bad_upload_changes_nothing(
    demo_subscriber: User,
    demo_catalog: Show,
    creds: dict[str, str],
    fmt: str,
    body: str | bytes,
) -> None:
    follow_show(user=demo_subscriber, show=demo_catalog)
    events = SubscriptionEvent.objects.filter(user=demo_subscriber).count()
    answer = Client().put(f"{DEVICE}.{fmt}", body, content_type="text/plain", **creds)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"]
    assert followed(demo_subscriber) == {demo_catalog.pk}
    assert SubscriptionEvent.objects.filter(user=demo_subscriber).count() == events


def test_simple_api_refuses_a_bad_device_and_other_methods(
    demo_subscriber: User, creds: dict[str, str]
) -> None:
    bad = Client().get(f"/subscriptions/{SUBSCRIBER_EMAIL}/ph%20one.json", **creds)
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "device"
    assert (
        Client()
        .post(DEVICE + ".json", "[]", content_type="text/plain", **creds)
        .status_code
        == 405
    )
    assert (
        Client()
        .put(ALL + ".json", "[]", content_type="text/plain", **creds)
        .status_code
        == 405
    )


@pytest.mark.parametrize("fmt", ["json", "txt", "opml"])
def test_simple_api_upload_over_the_limit_is_413(
    demo_subscriber: User,
    demo_catalog: Show,
    creds: dict[str, str],
    settings: Settings,
    fmt: str,
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    follow_show(user=demo_subscriber, show=demo_catalog)
    body = "\n".join(f"https://a.example/{n}/feed.xml" for n in range(20))
    answer = Client().put(f"{DEVICE}.{fmt}", body, content_type="text/plain", **creds)
    assert answer.status_code == 413
    assert answer.json()["error"]["message"]
    assert followed(demo_subscriber) == {demo_catalog.pk}
