"""The book player in Debian's chromium: one timeline across parts, bookmarks,
and resuming on another browser from the position kept on the server.

Never a downloaded browser: ``executable_path`` points at /usr/bin/chromium.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Episode
from ondas.core import clock
from ondas.core.timefmt import format_clock
from ondas.playback.models import (
    AllowanceUsage,
    Bookmark,
    ListeningProgress,
    ListeningReport,
)
from ondas.playback.selectors import allowance_get
from tests.support.billing import PASSWORD, SUBSCRIBER_EMAIL

TIMEOUT_MS = 10_000

pytestmark = pytest.mark.browser


# Requests the server is still handling (see serial_server).
_in_flight = [0]


def _wait_until_idle(timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while _in_flight[0] and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Fresh profiles (no cookies, no localStorage), closed after the test.

    Leaving a book page sends its last progress and report (pagehide): let
    those arrive while the test's database is still there, so no request
    outlives the test and locks the next one's tables.
    """
    opened: list[BrowserContext] = []
    yield opened
    for ctx in opened:
        for page in ctx.pages:
            page.goto("about:blank")
    time.sleep(0.2)
    _wait_until_idle()
    for ctx in opened:
        ctx.close()


def new_page(browser: Browser, contexts: list[BrowserContext]) -> Page:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
    ctx.set_default_timeout(TIMEOUT_MS)
    contexts.append(ctx)
    return ctx.new_page()


@pytest.fixture
def serial_server(live_server: LiveServer) -> LiveServer:
    """The live server, handling one request's view at a time.

    The test database is SQLite in memory, one connection the server's threads
    share; the player writes a report, a position and a bookmark at once when
    paused, and overlapping transactions on that one connection fail with
    "database table is locked". Production's SQLite (WAL, IMMEDIATE
    transactions, a busy timeout) queues such writers; this lock does the same.
    Bodies (audio bytes) still stream outside the lock.
    """
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    lock = threading.Lock()

    def one_at_a_time(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        _in_flight[0] += 1
        try:
            with lock:
                return app(environ, start_response)  # type: ignore[no-any-return]
        finally:
            _in_flight[0] -= 1

    httpd.set_app(one_at_a_time)
    return live_server


@pytest.fixture
def book(demo_book: Audiobook) -> Audiobook:
    return demo_book


@pytest.fixture
def reader(demo_subscriber: User) -> User:
    return demo_subscriber


def sign_in_and_open(page: Page, live_server: LiveServer, book: Audiobook) -> None:
    book_path = reverse("web:audiobook-detail", args=[book.slug])
    page.goto(f"{live_server.url}{reverse('accounts:sign-in')}?next={book_path}")
    page.get_by_label("Correo electrónico").fill(SUBSCRIBER_EMAIL)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").last.click()
    page.wait_for_url(f"**{book_path}")
    page.wait_for_selector('#book-player[data-ready="true"]')


def player(page: Page) -> dict[str, object]:
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const audio = document.getElementById("book-audio");
            const root = document.getElementById("book-player");
            return {paused: audio.paused, time: audio.currentTime, src: audio.src,
                    part: root.dataset.part || "", state: root.dataset.state,
                    timeline: Number(document.getElementById("book-seek").value)};
        }"""
    )


def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the server")
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_book_plays_across_parts_and_resumes_on_another_browser(
    browser: Browser,
    contexts: list[BrowserContext],
    serial_server: LiveServer,
    book: Audiobook,
    reader: User,
) -> None:
    part1, part2 = book.parts.order_by("position")
    page = new_page(browser, contexts)
    sign_in_and_open(page, serial_server, book)
    assert page.locator("#book-allowance-text").inner_text() == (
        "20 h de tiempo de audiolibros disponible"
    )

    # Seek near the end of part 1 on the whole-book seek bar, and play.
    page.locator("#book-seek").fill("206")
    page.locator("#book-toggle").click()
    page.wait_for_function(
        "() => !document.getElementById('book-audio').paused"
        " && document.getElementById('book-player').dataset.part === '1'"
    )
    assert page.locator("#book-chapter").inner_text() == "Bytes without copies"

    # Part 1 ends at 3:30 and part 2 starts at once; the timeline runs on.
    page.wait_for_function(
        """() => {
            const audio = document.getElementById("book-audio");
            return document.getElementById("book-player").dataset.part === "2"
                && !audio.paused && audio.currentTime > 1.5;
        }""",
        timeout=15_000,
    )
    state = player(page)
    assert str(state["src"]).endswith(reverse("playback:audio", args=[part2.audio_id]))
    assert float(state["timeline"]) >= part2.start_seconds + 1  # type: ignore[arg-type]
    page.wait_for_function(
        "(after) => Number(document.getElementById('book-seek').value) > after",
        arg=float(state["timeline"]),  # type: ignore[arg-type]
    )
    assert page.locator("#book-chapter").inner_text() == "Bytes without copies"

    # Pause, and bookmark the place with a note.
    page.get_by_role("button", name="Pausar", exact=True).click()
    page.wait_for_function("() => document.getElementById('book-audio').paused")
    paused = player(page)
    paused_at = part2.start_seconds + float(paused["time"])  # type: ignore[arg-type]
    page.get_by_label("Nota (opcional)").fill("Antes de crecer")
    page.get_by_role("button", name="Añadir un marcador aquí").click()
    page.locator(".bookmark__note", has_text="Antes de crecer").wait_for()

    # The server now holds the position, the bookmark and what was heard.
    wait_for(
        lambda: ListeningProgress.objects.filter(
            user=reader, item_id=book.pk, position_seconds__gte=paused_at - 0.5
        ).exists()
    )
    wait_for(lambda: ListeningReport.objects.filter(session__user=reader).exists())
    bookmark = Bookmark.objects.get(user=reader)
    assert bookmark.note == "Antes de crecer"
    assert abs(bookmark.position_seconds - paused_at) < 0.5
    charged = AllowanceUsage.objects.get(user=reader).seconds
    assert 0 < charged <= 30  # a few seconds heard, never more than wall time

    # Another browser: sign in again; the book opens where it was left.
    other = new_page(browser, contexts)
    sign_in_and_open(other, serial_server, book)
    assert other.locator("#book-elapsed").inner_text() == format_clock(paused_at)
    assert int(player(other)["timeline"]) == int(paused_at)  # type: ignore[call-overload]
    assert other.locator(".bookmark__note").inner_text() == "Antes de crecer"
    assert other.locator(".bookmark__jump").inner_text() == format_clock(
        bookmark.position_seconds
    )
    toggle = other.locator("#book-toggle")
    assert toggle.get_attribute("aria-label") == (
        f"Seguir en {format_clock(paused_at)}"
    )

    toggle.click()
    other.wait_for_function(
        """() => {
            const audio = document.getElementById("book-audio");
            return !audio.paused && audio.readyState >= 3;
        }"""
    )
    resumed = player(other)
    assert resumed["part"] == "2"
    assert (
        str(resumed["src"])
        .split("#")[0]
        .endswith(reverse("playback:audio", args=[part2.audio_id]))
    )
    assert abs(part2.start_seconds + float(resumed["time"]) - paused_at) < 2  # type: ignore[arg-type]
    assert part1.audio_id != part2.audio_id


@pytest.mark.django_db(transaction=True)
def test_playback_stops_when_the_allowance_runs_out(
    browser: Browser,
    contexts: list[BrowserContext],
    serial_server: LiveServer,
    book: Audiobook,
    reader: User,
) -> None:
    allowance = allowance_get(user=reader, now=clock.now())
    assert allowance.period_start is not None and allowance.renews_at is not None
    AllowanceUsage.objects.create(
        user=reader,
        period_start=allowance.period_start,
        seconds=allowance.total_seconds - 3,
    )
    page = new_page(browser, contexts)
    sign_in_and_open(page, serial_server, book)

    page.locator("a[data-book-start='70.0']").click()  # past the free sample
    page.wait_for_selector('#book-player[data-exhausted="true"]', timeout=15_000)

    assert player(page)["paused"] is True
    alert = page.locator("#book-alert").inner_text()
    assert alert.startswith("Ya usaste las horas de audiolibros de este periodo.")
    assert "los podcasts siguen sonando" in alert
    assert page.locator("#book-toggle").is_disabled()
    usage = AllowanceUsage.objects.get(user=reader, period_start=allowance.period_start)
    assert usage.seconds == pytest.approx(allowance.total_seconds)
    # Podcasts keep playing; the book's parts do not, its sample does.
    part = book.parts.order_by("position").first()
    assert part is not None and book.sample_audio_id is not None
    assert page.request.get(audio_url(serial_server, part.audio_id)).status == 403
    assert page.request.get(audio_url(serial_server, book.sample_audio_id)).ok
    episode = Episode.objects.filter(access=Episode.Access.FREE).first()
    assert episode is not None and episode.audio_id is not None
    assert page.request.get(audio_url(serial_server, episode.audio_id)).ok


def audio_url(server: LiveServer, audio_id: int) -> str:
    return server.url + reverse("playback:audio", args=[audio_id])


@pytest.mark.django_db(transaction=True)
def test_the_controls_keys_sleep_timer_and_bookmarks_work_without_a_script_error(
    browser: Browser,
    contexts: list[BrowserContext],
    serial_server: LiveServer,
    book: Audiobook,
    reader: User,
) -> None:
    page = new_page(browser, contexts)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_and_open(page, serial_server, book)
    chapters = list(book.chapters.order_by("start_seconds"))
    assert len(chapters) >= 2

    # Keys move the timeline (nothing loaded yet: the cursor moves).
    page.locator("body").press("ArrowRight")
    page.wait_for_function("() => document.getElementById('book-seek').value === '30'")
    page.locator("body").press("ArrowLeft")
    page.wait_for_function("() => document.getElementById('book-seek').value === '15'")

    # Next chapter goes to the next chapter's start; previous within 3 s of it
    # goes back to the one before.
    page.locator('[data-book-action="next-chapter"]').click()
    second = next(c for c in chapters if c.start_seconds > 15)
    page.wait_for_function(
        "(start) => Number(document.getElementById('book-seek').value) === start",
        arg=int(second.start_seconds),
    )
    assert page.locator("#book-chapter").inner_text() == second.title

    # A speed chosen is applied and kept for both players.
    page.locator("#book-speed").select_option("1.5")
    assert (
        page.evaluate("() => document.getElementById('book-audio').playbackRate") == 1.5
    )
    assert page.evaluate("() => localStorage.getItem('ondas.speed')") == "1.5"

    # The sleep timer says when it will stop.
    page.locator("#book-sleep").select_option("chapter")
    assert page.locator("#book-sleep-left").inner_text() != ""
    page.locator("#book-sleep").select_option("")
    assert page.locator("#book-sleep-left").inner_text() == ""

    # A bookmark is added, then deleted; the list says it is empty again.
    page.get_by_label("Nota (opcional)").fill("Para borrar")
    page.get_by_role("button", name="Añadir un marcador aquí").click()
    page.locator(".bookmark__note", has_text="Para borrar").wait_for()
    assert page.locator("#book-bookmarks-empty").is_hidden()
    page.locator(".bookmark__delete").click()
    page.locator("#book-bookmarks-empty").wait_for(state="visible")
    wait_for(lambda: not Bookmark.objects.filter(user=reader).exists())

    assert errors == []
