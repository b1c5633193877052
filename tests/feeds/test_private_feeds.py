"""A subscriber's private feed: what podcast apps read back, and when it stops."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import podcastparser  # type: ignore[import-untyped]
import pytest
from django.test import Client
from django.urls import reverse
from mutagen.mp3 import MP3
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing.models import Plan
from ondas.billing.services import subscription_advance, subscription_cancel
from ondas.catalog.models import Episode, Show
from ondas.core import clock
from ondas.feedkeys.models import PrivateFeedKey, PrivateFeedKeyUse
from ondas.feedkeys.services import feed_key_regenerate
from ondas.feeds import private
from ondas.feeds.notice_audio import FILE as NOTICE_FILE
from ondas.feeds.notice_audio import notice_audio, notice_audio_encode
from tests.feeds.test_publish import assert_parsers_read, catalog_rows
from tests.support.private_feeds import key_make, subscribe

from .test_publish import NS

BASE = "http://testserver"


@pytest.fixture
def app(client: Client, settings: Settings) -> Client:
    """A podcast app: no session, and (here) English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def keyed(listener: User, plan: Plan, small_show: Show) -> tuple[PrivateFeedKey, str]:
    subscribe(listener, plan)
    return key_make(listener, small_show)


def feed_url(token: str, show: Show) -> str:
    return reverse("feeds:private-feed", args=[token, show.slug])


def enclosure_url(token: str, episode: Episode) -> str:
    assert episode.audio is not None
    return reverse("playback:private-audio", args=[episode.audio.pk, token, "mp3"])


def test_round_trip_podcastparser_and_feedparser(
    app: Client, small_show: Show, keyed: tuple[PrivateFeedKey, str]
) -> None:
    """Both parsers read back every published episode, exclusive ones included,
    with the token in each enclosure."""
    _key, token = keyed
    response = app.get(feed_url(token, small_show))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    expected = catalog_rows(small_show, private_token=token)
    assert [e["guid"] for e in expected] == ["small-3", "small-2", "small-1", "small-0"]
    assert Episode.objects.get(guid="small-3").is_exclusive

    parsed, fp = assert_parsers_read(
        BASE + feed_url(token, small_show), response.getvalue(), expected
    )
    assert parsed["title"] == small_show.title
    assert fp.feed.itunes_block == 1  # feedparser reads "Yes" as 1


def test_private_feed_is_blocked_private_and_validated(
    app: Client, small_show: Show, keyed: tuple[PrivateFeedKey, str]
) -> None:
    _key, token = keyed
    url = feed_url(token, small_show)
    response = app.get(url)
    root = ElementTree.fromstring(response.getvalue())

    assert root.findtext("channel/itunes:block", namespaces=NS) == "Yes"
    assert root.findtext("channel/podcast:block", namespaces=NS) == "yes"
    self_link = root.find("channel/atom:link", NS)
    assert self_link is not None and self_link.get("href") == BASE + url
    assert response["Cache-Control"] == "private, no-cache"
    assert app.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    lm = response["Last-Modified"]
    assert app.get(url, HTTP_IF_MODIFIED_SINCE=lm).status_code == 304

    # The exclusive episode's chapters file is there through the token only.
    chapters = root.find("channel/item/podcast:chapters", NS)
    assert chapters is not None
    chapters_url = chapters.get("url", "")
    assert token in chapters_url
    document = app.get(chapters_url.removeprefix(BASE))
    assert document.status_code == 200
    assert [c["title"] for c in json.loads(document.content)["chapters"]] == [
        "Hola",
        "Medio",
        "Fin",
    ]
    public = reverse(
        "feeds:episode-chapters", args=[small_show.slug, "capitulo-3-y-mas"]
    )
    assert app.get(public).status_code == 404


def test_public_feed_keeps_exclusive_episodes_out_and_is_not_blocked(
    app: Client, small_show: Show, keyed: tuple[PrivateFeedKey, str]
) -> None:
    body = app.get(reverse("feeds:show-feed", args=[small_show.slug])).getvalue()
    root = ElementTree.fromstring(body)
    assert [i.findtext("guid") for i in root.iter("item")] == [
        "small-2",
        "small-1",
        "small-0",
    ]
    assert root.find("channel/itunes:block", NS) is None
    assert keyed[1].encode() not in body


def test_token_has_256_bits_and_the_database_holds_no_token(
    small_show: Show, keyed: tuple[PrivateFeedKey, str]
) -> None:
    key, token = keyed
    assert len(base64.urlsafe_b64decode(token + "=")) * 8 == 256
    row = PrivateFeedKey.objects.filter(pk=key.pk).values().get()
    assert all(token not in str(value) for value in row.values())
    uses = PrivateFeedKeyUse.objects.filter(key=key).values()
    assert all(token not in str(value) for use in uses for value in use.values())


def test_unknown_token_and_another_shows_address_look_the_same(
    app: Client, small_show: Show, keyed: tuple[PrivateFeedKey, str]
) -> None:
    _key, token = keyed
    other = Show.objects.create(title="Otro", slug="otro", author="Ana", language="es")
    answers = [
        app.get(feed_url("A" * 43, small_show)),
        app.get(feed_url(token[:-1], small_show)),
        app.get(feed_url(token, other)),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    for answer in answers:
        text = answer.getvalue().decode()
        assert "This private feed address does not work" in text
        assert small_show.title not in text  # nothing about whose key it is


def test_regenerating_kills_the_old_feed_and_enclosures_at_once(
    app: Client, listener: User, small_show: Show, keyed: tuple[PrivateFeedKey, str]
) -> None:
    _key, old = keyed
    exclusive = Episode.objects.get(guid="small-3")
    assert (
        app.get(enclosure_url(old, exclusive), HTTP_RANGE="bytes=0-1").status_code
        == 206
    )

    new_key = feed_key_regenerate(user=listener, show=small_show, now=clock.now())
    new = new_key.token()
    assert new is not None and new != old

    assert app.get(feed_url(old, small_show)).status_code == 404
    assert app.get(enclosure_url(old, exclusive)).status_code == 404
    assert app.get(feed_url(new, small_show)).status_code == 200
    assert (
        app.get(enclosure_url(new, exclusive), HTTP_RANGE="bytes=0-1").status_code
        == 206
    )


def assert_notice_enclosure_downloads(client: Client, episode: dict[str, Any]) -> None:
    """What a podcast app does with the notice: its enclosure downloads whole.

    gPodder trusts the length to finish a download; a notice without an
    enclosure left it a 0-byte ``.partial`` file.
    """
    [enclosure] = episode["enclosures"]
    assert enclosure["mime_type"] == "audio/mpeg"
    assert enclosure["url"].startswith(f"{BASE}/static/")
    assert episode["total_time"] == 4
    response = client.get(enclosure["url"].removeprefix(BASE))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert "max-age" in response["Cache-Control"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert int(response["Content-Length"]) == len(body) == enclosure["file_size"]
    audio = MP3(io.BytesIO(body))
    assert 3.5 < audio.info.length < 5
    # a player's first range, and a HEAD before the download
    ranged = client.get(enclosure["url"].removeprefix(BASE), HTTP_RANGE="bytes=0-99")
    assert ranged.status_code == 206
    assert b"".join(ranged.streaming_content) == body[:100]  # type: ignore[attr-defined]
    head = client.head(enclosure["url"].removeprefix(BASE))
    assert head.status_code == 200 and int(head["Content-Length"]) == len(body)


def _items(client: Client, url: str) -> list[ElementTree.Element]:
    response = client.get(url)
    assert response.status_code == 200
    return list(ElementTree.fromstring(response.getvalue()).iter("item"))


def test_subscription_end_stops_audio_at_once_and_the_feed_says_how_to_renew(
    app: Client,
    settings: Settings,
    listener: User,
    plan: Plan,
    small_show: Show,
) -> None:
    sub = subscribe(listener, plan)
    _key, token = key_make(listener, small_show)
    subscription_cancel(subscription=sub, acting_user=listener, now=clock.now())
    url = feed_url(token, small_show)
    free = Episode.objects.get(guid="small-1")
    etag = app.get(url)["ETag"]

    # No billing run yet: the period's end alone ends the right to listen.
    settings.ONDAS_CLOCK_SHIFT = (
        sub.current_period_end - datetime.now(tz=UTC) + timedelta(minutes=1)
    )
    refused = app.get(enclosure_url(token, free))
    assert refused.status_code == 403
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    assert b"/plans/" in refused.getvalue()

    changed = app.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    body = changed.getvalue()
    items = list(ElementTree.fromstring(body).iter("item"))
    assert len(items) == 1
    assert items[0].findtext("title") == "Your subscription has ended"
    assert items[0].findtext("link") == f"{BASE}/plans/"
    assert f"{BASE}/plans/" in (items[0].findtext("description") or "")
    parsed = podcastparser.parse(BASE + url, io.BytesIO(body))
    assert [e["title"] for e in parsed["episodes"]] == ["Your subscription has ended"]
    assert_notice_enclosure_downloads(app, parsed["episodes"][0])

    # Renewing brings the episodes back, at the same address.
    subscription_advance(subscription=sub, now=clock.now())
    subscribe(listener, plan)
    assert len(_items(app, url)) == 4
    assert (
        app.get(enclosure_url(token, free), HTTP_RANGE="bytes=0-1").status_code == 206
    )


def test_secret_key_rotation_keeps_the_address_working_but_unshowable(
    app: Client, settings: Settings, small_show: Show, keyed: tuple[PrivateFeedKey, str]
) -> None:
    key, token = keyed
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "a brand new secret key, rotated"

    assert PrivateFeedKey.objects.get(pk=key.pk).token() is None
    assert app.get(feed_url(token, small_show)).status_code == 200

    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert PrivateFeedKey.objects.get(pk=key.pk).token() == token


def test_notice_file_is_what_its_code_writes() -> None:
    """scripts/make_notice_audio.py writes the committed file again."""
    made = io.BytesIO()
    written = notice_audio_encode(made)
    assert made.getvalue() == NOTICE_FILE.read_bytes()
    assert written == notice_audio().length
    assert MP3(io.BytesIO(made.getvalue())).info.length == pytest.approx(4, abs=0.2)


def test_a_new_notice_file_makes_a_new_ended_feed(
    app: Client,
    settings: Settings,
    listener: User,
    plan: Plan,
    small_show: Show,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Feeds written before the notice had this enclosure are not sent again."""
    sub = subscribe(listener, plan)
    _key, token = key_make(listener, small_show)
    subscription_cancel(subscription=sub, acting_user=listener, now=clock.now())
    settings.ONDAS_CLOCK_SHIFT = (
        sub.current_period_end - datetime.now(tz=UTC) + timedelta(minutes=1)
    )
    url = feed_url(token, small_show)
    first = app.get(url)
    assert app.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    bigger = replace(notice_audio(), length=notice_audio().length + 1)
    monkeypatch.setattr(private, "notice_audio", lambda: bigger)
    again = app.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    [item] = ElementTree.fromstring(again.getvalue()).iter("item")
    enclosure = item.find("enclosure")
    assert enclosure is not None and enclosure.get("length") == str(bigger.length)
