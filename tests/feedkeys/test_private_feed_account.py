"""The account page's private feeds, and the show page's way there."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing.models import Plan
from ondas.catalog.models import Show
from ondas.core import clock
from ondas.feedkeys.models import PrivateFeedKey
from ondas.feedkeys.services import feed_key_use_record
from tests.support.private_feeds import key_make, subscribe

ACCOUNT = reverse("accounts:account")
URL_RE = re.compile(r'value="(http://testserver/feeds/private/[^"]+)"')


@pytest.fixture
def signed_in(client: Client, settings: Settings, listener: User) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(listener)
    return client


def page(client: Client, url: str = ACCOUNT) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def create_url(show: Show) -> str:
    return reverse("feedkeys:private-feed-create", args=[show.slug])


def regenerate_url(show: Show) -> str:
    return reverse("feedkeys:private-feed-regenerate", args=[show.slug])


def test_a_subscriber_creates_a_private_feed_and_copies_its_address(
    signed_in: Client, listener: User, plan: Plan, small_show: Show
) -> None:
    subscribe(listener, plan)

    before = page(signed_in)
    assert 'id="private-feeds"' in before
    assert "Create my private feed" in before
    assert URL_RE.search(before) is None
    assert not PrivateFeedKey.objects.exists()  # showing the page makes no key

    response = signed_in.post(create_url(small_show))
    assert response.status_code == 302
    assert response["Location"] == f"{ACCOUNT}#private-feed-{small_show.slug}"

    html = page(signed_in)
    assert "is ready: copy its address into your podcast app." in html
    [address] = URL_RE.findall(html)
    key = PrivateFeedKey.objects.get()
    assert address == (
        f"http://testserver/feeds/private/{key.token()}/{small_show.slug}.xml"
    )
    assert "readonly" in html.split(address)[1].split(">")[0]
    assert 'data-copy-target="private-feed-url-pequeno-show"' in html
    assert "feedkeys/private-feeds.js" in html
    assert "Create my private feed" not in html
    assert signed_in.get(address.removeprefix("http://testserver")).status_code == 200


def test_regenerating_from_the_account_page_replaces_the_address(
    signed_in: Client, listener: User, plan: Plan, small_show: Show
) -> None:
    subscribe(listener, plan)
    _key, token = key_make(listener, small_show)
    [old] = URL_RE.findall(page(signed_in))
    assert token in old
    assert "the old one stops working" in page(signed_in)

    response = signed_in.post(regenerate_url(small_show), follow=True)

    html = response.content.decode()
    [new] = URL_RE.findall(html)
    assert new != old
    assert "has a new address, below. The old one no longer works" in html
    client = Client()
    assert client.get(old.removeprefix("http://testserver")).status_code == 404
    assert client.get(new.removeprefix("http://testserver")).status_code == 200


def test_the_buttons_need_the_csrf_token(
    listener: User, plan: Plan, small_show: Show
) -> None:
    subscribe(listener, plan)
    key, _token = key_make(listener, small_show)
    client = Client(enforce_csrf_checks=True)
    client.force_login(listener)

    assert client.post(regenerate_url(small_show)).status_code == 403
    assert client.post(create_url(small_show)).status_code == 403
    assert client.get(regenerate_url(small_show)).status_code == 405
    assert PrivateFeedKey.objects.get().pk == key.pk


def test_without_a_plan_there_is_no_section_and_no_key(
    signed_in: Client, small_show: Show
) -> None:
    assert 'id="private-feeds"' not in page(signed_in)

    refused = signed_in.post(create_url(small_show))

    assert refused.status_code == 403
    assert "Private feeds come with a plan" in refused.content.decode()
    assert not PrivateFeedKey.objects.exists()


def test_after_the_subscription_ends_the_page_says_so_and_keeps_the_address(
    signed_in: Client,
    settings: Settings,
    listener: User,
    plan: Plan,
    small_show: Show,
) -> None:
    sub = subscribe(listener, plan)
    key_make(listener, small_show)
    settings.ONDAS_CLOCK_SHIFT = (
        sub.current_period_end - datetime.now(tz=UTC) + timedelta(days=1)
    )

    html = page(signed_in)

    assert 'data-private-feeds-state="ended"' in html
    assert len(URL_RE.findall(html)) == 1
    assert "Create my private feed" not in html


def test_the_page_tells_about_a_reset_and_a_flag(
    signed_in: Client,
    settings: Settings,
    listener: User,
    plan: Plan,
    small_show: Show,
) -> None:
    subscribe(listener, plan)
    key, _token = key_make(listener, small_show)
    settings.ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY = 1
    settings.ONDAS_PRIVATE_FEED_AUTO_RESET = False
    now = clock.now()
    feed_key_use_record(key=key, client_ip=None, app="one", now=now)
    feed_key_use_record(key=key, client_ip=None, app="two", now=now)

    assert 'data-private-feed-state="flagged"' in page(signed_in)

    settings.ONDAS_PRIVATE_FEED_AUTO_RESET = True
    tomorrow = now + timedelta(days=1)
    for app in ("three", "four"):
        feed_key_use_record(key=key, client_ip=None, app=app, now=tomorrow)

    html = page(signed_in)
    assert 'data-private-feed-state="reset"' in html
    assert escape("so we replaced it: the old one no longer works") in html
    [address] = URL_RE.findall(html)
    assert PrivateFeedKey.objects.get(revoked_at__isnull=True).token() in address


def test_after_a_secret_key_rotation_the_page_asks_to_regenerate(
    signed_in: Client,
    settings: Settings,
    listener: User,
    plan: Plan,
    small_show: Show,
) -> None:
    subscribe(listener, plan)
    key_make(listener, small_show)
    settings.SECRET_KEY = "rotated, and the old one thrown away"
    # The session is signed with the old key too: sign in again.
    signed_in.force_login(listener)

    html = page(signed_in)

    assert 'data-private-feed-state="unreadable"' in html
    assert URL_RE.search(html) is None
    assert "Regenerate the address" in html
    signed_in.post(regenerate_url(small_show))
    assert len(URL_RE.findall(page(signed_in))) == 1


def test_the_account_page_in_spanish(
    client: Client, listener: User, plan: Plan, small_show: Show
) -> None:
    subscribe(listener, plan)
    client.force_login(listener)

    html = page(client)

    assert "Feeds privados" in html and "Crear mi feed privado" in html


def test_the_show_page_points_subscribers_to_their_private_feed(
    client: Client, listener: User, plan: Plan, small_show: Show
) -> None:
    url = reverse("web:show-detail", args=[small_show.slug])
    link = f'href="{ACCOUNT}#private-feed-{small_show.slug}"'
    assert link not in page(client, url)  # anonymous

    client.force_login(listener)
    assert link not in page(client, url)  # no plan

    subscribe(listener, plan)
    html = page(client, url)
    assert link in html and "Escuchar en tu app de podcasts" in html
