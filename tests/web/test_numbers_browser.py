"""The show's numbers page in Debian's chromium, in English and Spanish: the
charts are drawn, and the CSV it downloads adds up to the page's totals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext
from pytest_django.live_server_helper import LiveServer

from tests.studio.test_upload_widget_browser import serial_server  # noqa: F401
from tests.web.numbers_data import NumbersCast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_MS = 15_000


@pytest.fixture
def context(
    browser: Browser,
    serial_server: LiveServer,  # noqa: F811
    numbers_cast: NumbersCast,
) -> Iterator[BrowserContext]:
    """A browser signed in as the show's analyst."""
    client = Client()
    client.force_login(numbers_cast.analyst)
    ctx = browser.new_context(accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": serial_server.url,
            }
        ]
    )
    yield ctx
    ctx.close()


def _language(ctx: BrowserContext, url: str, code: str) -> None:
    ctx.add_cookies([{"name": "ondas_language", "value": code, "url": url}])


def test_show_numbers_render_in_both_languages_and_the_csv_adds_up(
    context: BrowserContext,
    serial_server: LiveServer,  # noqa: F811
    numbers_cast: NumbersCast,
) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    url = serial_server.url + reverse("web:numbers-show", args=[numbers_cast.show.pk])

    _language(context, serial_server.url, "en")
    page.goto(url + "?days=90")
    assert page.locator("h1").inner_text() == "The numbers of “Ondas en Vivo”"
    chart = page.get_by_role("img", name="Downloads per day, the last 90 days")
    assert chart.is_visible()
    assert chart.bounding_box()["height"] > 50  # type: ignore[index]
    assert chart.locator("rect.chart__bar").count() == 90
    assert page.locator("#days-table tbody tr").count() == 90
    total = int(page.locator('[data-total="downloads"]').inner_text())

    _language(context, serial_server.url, "es")
    page.goto(url + "?days=90")
    assert page.locator("h1").inner_text() == "Las cifras de «Ondas en Vivo»"
    assert page.get_by_role(
        "img", name="Reproducciones por día, los últimos 90 días"
    ).is_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Descargar esta tabla (CSV)").click()
    path = download_info.value.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))

    assert rows[0][:2] == ["Día", "Descargas"]
    assert len(rows) == 1 + 90
    assert sum(int(row[1]) for row in rows[1:]) == total
    assert int(page.locator('[data-total="downloads"]').inner_text()) == total
    assert errors == []
