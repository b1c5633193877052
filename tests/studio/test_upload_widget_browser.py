"""The upload widget in Debian's chromium: tus-js-client sends the file to the
live server, the widget reports the stored audio, or the server's refusal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from playwright.sync_api import Browser, Page
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.models import User
from ondas.catalog.models import AudioFile
from ondas.studio.models import Upload
from tests.support.studio_audio import mp3_with_chapters

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CSRF = "C" * 32
TIMEOUT_MS = 15_000


class _SerialGate:
    """The live server's app, one request at a time.

    The test database is one shared SQLite connection: two requests at once
    would share it. And a request still running when a test ends (a page the
    browser was leaving, the service worker filling its cache) holds a table
    that the flush of the test database then finds locked: ``quiet`` waits
    until the server has been idle a moment.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.last = time.monotonic()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with self.lock:
            try:
                return self.app(environ, start_response)
            finally:
                self.last = time.monotonic()

    def quiet(self, *, idle: float = 0.3, limit: float = 5.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self.lock:
                if time.monotonic() - self.last >= idle:
                    return
            time.sleep(0.05)


@pytest.fixture
def serial_server(live_server: LiveServer) -> Iterator[LiveServer]:
    """The live server, one request at a time (``_SerialGate``); idle before
    the test's database is flushed (the browser is closed by then)."""
    httpd = live_server.thread.httpd
    gate = httpd.get_app()
    if not isinstance(gate, _SerialGate):
        gate = _SerialGate(gate)
        httpd.set_app(gate)
    yield live_server
    gate.quiet()


@pytest.fixture
def widget_page(
    browser: Browser, serial_server: LiveServer, creator: User
) -> Iterator[Page]:
    """A page of the live server's origin holding the widget, signed in."""
    client = Client()
    client.force_login(creator)
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": serial_server.url,
            },
            {"name": "csrftoken", "value": CSRF, "url": serial_server.url},
            {"name": "ondas_language", "value": "en", "url": serial_server.url},
        ]
    )
    page = context.new_page()
    page.goto(f"{serial_server.url}/healthz")
    widget = render_to_string("studio/uploads/_widget.html", {"field_name": "audio_id"})
    page.set_content(f"<!doctype html><html><body><form>{widget}</form></body></html>")
    page.wait_for_selector("[data-upload-widget]:not([hidden])")
    yield page
    context.close()


def test_widget_uploads_through_tus_and_reports_the_audio(widget_page: Page) -> None:
    data = mp3_with_chapters([(0, "Intro"), (5, "Main")], seconds=10)
    widget_page.evaluate(
        "() => document.querySelector('[data-upload-widget]').addEventListener("
        "'ondas:upload-done', (e) => { window.uploaded = e.detail; })"
    )

    widget_page.set_input_files(
        "[data-upload-file]",
        files=[{"name": "episode.mp3", "mimeType": "audio/mpeg", "buffer": data}],
    )

    widget_page.wait_for_selector("[data-upload-widget][data-upload-state=done]")
    audio = AudioFile.objects.get()
    assert widget_page.input_value("[data-upload-audio-id]") == str(audio.pk)
    assert audio.size == len(data)
    detail = widget_page.evaluate("() => window.uploaded")
    assert detail["chapters"] == [
        {"start_seconds": 0.0, "title": "Intro"},
        {"start_seconds": 5.0, "title": "Main"},
    ]
    assert widget_page.text_content("[data-upload-status]") == "Uploaded and checked."


def test_widget_shows_the_servers_refusal(widget_page: Page) -> None:
    widget_page.set_input_files(
        "[data-upload-file]",
        files=[
            {
                "name": "episode.mp3",
                "mimeType": "audio/mpeg",
                "buffer": b"%PDF-1.4\n" + bytes(3000),
            }
        ],
    )

    widget_page.wait_for_selector("[data-upload-widget][data-upload-state=failed]")
    status = widget_page.text_content("[data-upload-status]") or ""
    assert status.startswith("The file is not audio: its content is PDF")
    assert Upload.objects.count() == 0
    assert AudioFile.objects.count() == 0
