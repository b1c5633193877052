"""The account page's private feed in Debian's chromium: create, copy, regenerate.

Same approach as tests/web/test_browser.py, whose browser fixtures are reused.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.models import User
from ondas.catalog.models import Show
from tests.accounts.factories import PASSWORD, user_make
from tests.support.private_feeds import exclusive_plan_make, subscribe
from tests.web.test_browser import context, page  # noqa: F401 - fixtures, used by name

pytestmark = pytest.mark.browser

ADDRESS = "#private-feed-url-pequeno-show"


@pytest.fixture
def subscriber(small_show: Show) -> User:
    user = user_make(email="oyente@example.com")
    subscribe(user, exclusive_plan_make())
    return user


@pytest.mark.django_db(transaction=True)
def test_create_copy_and_regenerate_the_private_feed(
    page: Page,  # noqa: F811 - the fixture imported above
    context: BrowserContext,  # noqa: F811
    live_server: LiveServer,
    subscriber: User,
) -> None:
    site = live_server.url
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(site + reverse("accounts:sign-in"))
    page.fill("#id_email", subscriber.email)
    page.fill("#id_password", PASSWORD)
    page.locator("form .account-card__submit").click()

    page.goto(site + reverse("web:show-detail", args=["pequeno-show"]))
    page.get_by_role("link", name="Escuchar en tu app de podcasts").click()
    page.get_by_role("button", name="Crear mi feed privado").click()

    address = page.locator(ADDRESS)
    first = address.input_value()
    assert first.startswith(f"{site}/feeds/private/")
    page.get_by_role("button", name="Copiar").click()
    page.wait_for_function(
        "() => document.getElementById('private-feed-status-pequeno-show')"
        ".textContent === 'Dirección copiada.'"
    )
    assert page.evaluate("() => navigator.clipboard.readText()") == first

    page.get_by_role("button", name="Regenerar la dirección").click()
    second = page.locator(ADDRESS).input_value()
    assert second != first
    assert page.request.get(first).status == 404
    feed = page.request.get(second)
    assert feed.status == 200
    assert "<itunes:block>Yes</itunes:block>" in feed.text()
