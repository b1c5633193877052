"""The header's search box in Debian's chromium: typing shows results as
links, and a chapter hit leads to the episode page set to start at its
second."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from tests.search.conftest import Catalog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_MS = 15_000


@pytest.fixture
def serial_server(live_server: LiveServer) -> LiveServer:
    """One request at a time (the test database is one shared SQLite connection)."""
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    lock = threading.Lock()

    def one_at_a_time(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with lock:
            return app(environ, start_response)  # type: ignore[no-any-return]

    httpd.set_app(one_at_a_time)
    return live_server


def test_typing_in_the_header_box_shows_hits(
    browser: Browser, serial_server: LiveServer, catalog: Catalog
) -> None:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(
        [{"name": "ondas_language", "value": "en", "url": serial_server.url}]
    )
    page = context.new_page()
    page.goto(f"{serial_server.url}/books/")
    # The box suggests titles (shows, episodes, books), the last word a prefix.
    page.fill("#site-search-q", "fallos de pag")
    link = page.locator(".site-search__suggestion").first
    link.wait_for()
    assert link.locator("mark").first.inner_text() == "Fallos"
    assert link.get_attribute("href") == "/shows/analisis-de-sistemas/fallos-de-pagina/"
    link.click()
    page.wait_for_url("**/fallos-de-pagina/")
    # Without waiting for suggestions, Enter submits the form itself.
    page.fill("#site-search-q", "planificador")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search/?q=planificador")
    assert "planificador" in page.locator(".search-hit__context").first.inner_text()
    context.close()
