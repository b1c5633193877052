"""Follow a show, find it on "Your shows", and take the list away as OPML, in
Debian's chromium against the live server (as tests/web/test_browser.py)."""

from __future__ import annotations

import defusedxml.ElementTree
import pytest
from django.urls import reverse
from playwright.sync_api import Page
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from ondas.catalog.services import show_create
from ondas.library.models import Follow
from tests.accounts.factories import PASSWORD, user_make
from tests.web.test_browser import context, page  # noqa: F401 - fixtures, by name

pytestmark = pytest.mark.browser

EMAIL = "oyente@example.com"


@pytest.mark.django_db(transaction=True)
def test_follow_your_shows_and_export(
    page: Page,  # noqa: F811 - the fixture imported above
    live_server: LiveServer,
    settings: Settings,
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    show_create(title="Charlas Pequeñas", author="Ana", language="es")
    show_create(title="Otro Programa", author="Luis", language="es")
    user_make(email=EMAIL)
    site = live_server.url
    show_url = site + reverse("web:show-detail", args=["charlas-pequenas"])

    # A visitor is asked to sign in, and comes back to the show afterwards.
    page.goto(show_url)
    page.get_by_role("link", name="Inicia sesión para seguir").click()
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.locator("form .account-card__submit").click()
    page.wait_for_url(show_url)

    page.get_by_role("button", name="Seguir", exact=True).click()
    assert "Sigues «Charlas Pequeñas»." in page.locator(".notice--success").inner_text()
    assert page.get_by_role("button", name="Siguiendo").is_visible()
    assert Follow.objects.filter(user__email=EMAIL).count() == 1

    # The header leads to "Your shows", which lists the show and nothing else.
    page.get_by_role("link", name="Tus programas").click()
    assert page.locator("h1").inner_text() == "Tus programas"
    titles = page.locator(".library-shows .show-card__title").all_inner_texts()
    assert titles == ["Charlas Pequeñas"]

    # The export is a download of an OPML file with the show's public feed.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exportar tus programas (OPML)").click()
    download = download_info.value
    assert download.suggested_filename == "ondas-shows.opml"
    root = defusedxml.ElementTree.fromstring(download.path().read_bytes())
    assert [(o.get("text"), o.get("xmlUrl")) for o in root.iter("outline")] == [
        ("Charlas Pequeñas", site + "/shows/charlas-pequenas/feed.xml")
    ]

    # Unfollowing from "Your shows" comes back to it, now empty.
    page.get_by_role("button", name="Dejar de seguir Charlas Pequeñas").click()
    assert (
        "Ya no sigues «Charlas Pequeñas»."
        in page.locator(".notice--success").inner_text()
    )
    assert page.locator(".library-shows .empty").is_visible()
    assert Follow.objects.filter(user__email=EMAIL).count() == 0
