"""The site as an installed app, in Debian's chromium: manifest and service
worker, the offline page, the lock screen (Media Session), and listening on
across pages (player-handoff.js)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.web import pwa
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.playback.test_book_browser import (  # noqa: F401 (fixtures)
    contexts,
    new_page,
    serial_server,
)
from tests.support.billing import PASSWORD, SUBSCRIBER_EMAIL

pytestmark = pytest.mark.browser

# Wraps the page's Media Session so the test can press what a lock screen,
# headphones or a car would, and read what the player last told it.
RECORD_MEDIA_SESSION = """
window.__media = {handlers: {}, positions: []};
const session = navigator.mediaSession;
const setHandler = session.setActionHandler.bind(session);
session.setActionHandler = (action, handler) => {
  window.__media.handlers[action] = handler;
  setHandler(action, handler);
};
const setPosition = session.setPositionState.bind(session);
session.setPositionState = (state) => {
  window.__media.positions.push(state);
  setPosition(state);
};
"""


def watched(page: Page) -> list[str]:
    """The page's script errors, to assert none at the end."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def wait_playing_from(page: Page, seconds: float) -> None:
    page.wait_for_function(
        """(from) => {
            const audio = document.getElementById("player-audio");
            return !audio.paused && audio.readyState >= 3 && audio.currentTime >= from;
        }""",
        arg=seconds,
    )


def audio_time(page: Page) -> float:
    return float(page.evaluate("document.getElementById('player-audio').currentTime"))


def wait_for_worker(page: Page) -> None:
    """Until the service worker is active and controls the page."""
    page.wait_for_function(
        "() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)"
    )


def show_url(server: LiveServer, episode: Episode) -> str:
    return server.url + reverse("web:show-detail", args=[episode.show.slug])


def sign_in(page: Page, server: LiveServer, next_path: str) -> None:
    page.goto(f"{server.url}{reverse('accounts:sign-in')}?next={next_path}")
    page.get_by_label("Correo electrónico").fill(SUBSCRIBER_EMAIL)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").last.click()
    page.wait_for_url(f"**{next_path}")


@pytest.mark.django_db(transaction=True)
def test_manifest_and_service_worker_register(
    browser: Browser,
    contexts: list[BrowserContext],  # noqa: F811
    serial_server: LiveServer,  # noqa: F811
    page_faults_episode: Episode,
) -> None:
    page = new_page(browser, contexts)
    errors = watched(page)
    page.goto(serial_server.url + "/")

    href = page.locator('link[rel="manifest"]').get_attribute("href")
    assert href == "/manifest.es.webmanifest"
    manifest = page.evaluate("(url) => fetch(url).then((r) => r.json())", href)
    assert manifest["name"] == "Ondas: podcasts y audiolibros"
    assert manifest["display"] == "standalone"
    wait_for_worker(page)
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == serial_server.url + "/"
    kept = page.evaluate(
        """async () => {
            const names = await caches.keys();
            const cache = await caches.open(names[0]);
            return {names, urls: (await cache.keys()).map((r) => new URL(r.url).pathname)};
        }"""
    )
    assert kept["names"] == [f"ondas-{pwa.static_version()}"]
    assert {"/offline/", "/static/ondas/player.js", "/static/ondas/ondas.css"} <= set(
        kept["urls"]
    )

    # Playing an episode with the worker in charge keeps no audio, no page.
    page.goto(show_url(serial_server, page_faults_episode))
    page.locator(
        '#episode-cpu-and-kernel-page-faults a.chapter-link[data-start="720"]'
    ).click()
    wait_playing_from(page, 720.5)
    urls = page.evaluate(
        """async () => {
            const cache = await caches.open((await caches.keys())[0]);
            return (await cache.keys()).map((r) => new URL(r.url).pathname);
        }"""
    )
    assert all(u.startswith("/static/") or u == "/offline/" for u in urls), urls
    assert errors == [], errors


CACHE_NAMES = (
    "caches.keys().then((names) => names.filter((n) => n.startsWith('ondas-')))"
)


@pytest.mark.django_db(transaction=True)
def test_worker_updates_when_a_static_file_changes(
    browser: Browser,
    contexts: list[BrowserContext],  # noqa: F811
    serial_server: LiveServer,  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    extra = tmp_path / "static"
    extra.mkdir()
    (extra / "ondas-extra.css").write_text("body { color: red }")
    settings.STATICFILES_DIRS = [str(extra)]
    settings.DEBUG = True  # the version is worked out again on every request
    page = new_page(browser, contexts)
    errors = watched(page)
    page.goto(serial_server.url + "/")
    wait_for_worker(page)
    first = page.evaluate(CACHE_NAMES)
    assert first == [f"ondas-{pwa.static_version()}"]

    (extra / "ondas-extra.css").write_text("body { color: blue }")  # a deploy
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")

    second = f"ondas-{pwa.static_version()}"
    assert second != first[0]
    page.wait_for_function(f"() => {CACHE_NAMES}.then((n) => n.join() === '{second}')")
    assert page.evaluate("navigator.serviceWorker.controller !== null") is True
    assert errors == [], errors


@pytest.mark.django_db(transaction=True)
def test_offline_page_in_the_visitor_s_language(
    browser: Browser,
    contexts: list[BrowserContext],  # noqa: F811
    serial_server: LiveServer,  # noqa: F811
    demo_catalog: Show,
) -> None:
    page = new_page(browser, contexts)
    errors = watched(page)
    page.goto(serial_server.url + "/")
    wait_for_worker(page)
    page.context.set_offline(True)

    page.goto(serial_server.url + reverse("web:browse"))

    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Sin conexión"
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.get_by_role("button", name="Intentar de nuevo").is_visible()

    page.context.add_cookies(
        [{"name": "ondas_language", "value": "en", "url": serial_server.url}]
    )
    page.goto(serial_server.url + reverse("web:audiobook-list"))
    assert page.get_by_role("heading", level=1).inner_text() == "You are offline"
    assert page.title() == "Offline · Ondas"
    assert page.evaluate("document.documentElement.lang") == "en"

    page.context.set_offline(False)
    page.get_by_role("button", name="Try again").click()
    page.wait_for_selector("#site-search-q")  # the real page, back online
    assert page.url.endswith(reverse("web:audiobook-list"))
    assert errors == [], errors


@pytest.mark.django_db(transaction=True)
def test_media_session_follows_chapters_and_next_track_moves_on(
    browser: Browser,
    contexts: list[BrowserContext],  # noqa: F811
    serial_server: LiveServer,  # noqa: F811
    page_faults_episode: Episode,
) -> None:
    page = new_page(browser, contexts)
    errors = watched(page)
    page.add_init_script(RECORD_MEDIA_SESSION)
    page.goto(show_url(serial_server, page_faults_episode))
    page.locator(
        '#episode-cpu-and-kernel-page-faults a.chapter-link[data-start="720"]'
    ).click()
    wait_playing_from(page, 720.5)

    def metadata() -> dict[str, object]:
        return page.evaluate(  # type: ignore[no-any-return]
            """() => {
                const m = navigator.mediaSession.metadata;
                return {title: m.title, artist: m.artist, album: m.album,
                        artwork: m.artwork.map((a) => a.src),
                        state: navigator.mediaSession.playbackState};
            }"""
        )

    now = metadata()
    assert now["title"] == "CPU and Kernel Page Faults"
    assert now["artist"] == page_faults_episode.show.title
    assert now["album"] == "VMA areas"
    assert now["state"] == "playing"
    artwork = page.locator("#episode-cpu-and-kernel-page-faults").get_attribute(
        "data-artwork"
    )
    assert now["artwork"] == ([serial_server.url + artwork] if artwork else [])
    actions = page.evaluate("Object.keys(window.__media.handlers)")
    for action in ("play", "pause", "seekbackward", "seekforward", "seekto"):
        assert action in actions
    last = page.evaluate("window.__media.positions.at(-1)")
    assert 719.5 <= last["position"] < 725
    assert last["duration"] == pytest.approx(
        page_faults_episode.duration_seconds, abs=2
    )

    page.evaluate("window.__media.handlers.nexttrack()")  # headphones: next
    wait_playing_from(page, 1190)  # "Kernel mode" at 19:50
    assert audio_time(page) < 1195
    page.wait_for_function(
        "() => navigator.mediaSession.metadata.album === 'Kernel mode'"
    )
    page.wait_for_function(
        "() => Math.abs(window.__media.positions.at(-1).position - 1190) < 3"
    )

    page.evaluate("window.__media.handlers.seekbackward({})")  # the car's -15 s
    page.wait_for_function(
        "() => document.getElementById('player-audio').currentTime < 1180"
    )
    page.wait_for_function(
        "() => navigator.mediaSession.metadata.album === 'VMA areas'"
    )
    page.evaluate("window.__media.handlers.pause()")
    page.wait_for_function("() => navigator.mediaSession.playbackState === 'paused'")
    assert errors == [], errors


@pytest.mark.django_db(transaction=True)
def test_listening_goes_on_across_pages_at_the_same_second(
    browser: Browser,
    contexts: list[BrowserContext],  # noqa: F811
    serial_server: LiveServer,  # noqa: F811
    page_faults_episode: Episode,
) -> None:
    page = new_page(browser, contexts)
    errors = watched(page)
    page.goto(show_url(serial_server, page_faults_episode))
    page.locator(
        '#episode-cpu-and-kernel-page-faults a.chapter-link[data-start="720"]'
    ).click()
    wait_playing_from(page, 722)

    left_at = audio_time(page)
    clicked = time.monotonic()
    page.get_by_role("link", name="Explorar").click()
    page.wait_for_url("**/browse/")
    first_playing = page.evaluate(
        """() => new Promise((resolve) => {
            const audio = document.getElementById("player-audio");
            const seen = () => !audio.paused && audio.readyState >= 3;
            if (seen()) { resolve(audio.currentTime); return; }
            audio.addEventListener("playing", () => resolve(audio.currentTime), {once: true});
        })"""
    )
    gap = time.monotonic() - clicked

    assert page.locator("#player-title").inner_text() == "CPU and Kernel Page Faults"
    # The note is written on pagehide, a moment after left_at was read.
    assert left_at - 0.5 <= first_playing <= left_at + 2, (left_at, first_playing)
    assert page.locator("#player-chapter").inner_text() == "VMA areas"
    assert gap < 5, gap
    print(
        f"\nnavigation to playing again: {gap:.2f} s; left {left_at:.2f}, on {first_playing:.2f}"
    )

    # A new tab never starts by itself: the bar comes back paused.
    other = page.context.new_page()
    other.goto(serial_server.url + reverse("web:audiobook-list"))
    other.wait_for_selector("#player:not([hidden])")
    other.wait_for_timeout(800)
    assert other.evaluate("document.getElementById('player-audio').paused") is True
    other.close()

    # Paused, then to another page: it stays paused there too.
    page.get_by_role("button", name="Pausa").first.click()
    page.wait_for_function("() => document.getElementById('player-audio').paused")
    page.get_by_role("link", name="Audiolibros").click()
    page.wait_for_url("**/books/")
    page.wait_for_selector("#player:not([hidden])")
    page.wait_for_timeout(800)
    assert page.evaluate("document.getElementById('player-audio').paused") is True
    assert errors == [], errors


@pytest.mark.django_db(transaction=True)
def test_an_exclusive_episode_goes_on_for_its_subscriber_and_not_after_sign_out(
    browser: Browser,
    contexts: list[BrowserContext],  # noqa: F811
    serial_server: LiveServer,  # noqa: F811
    demo_subscriber: User,
) -> None:
    episode = Episode.objects.get(slug="desplegar-sin-cortar")
    audio_path = reverse("playback:audio", args=[episode.audio_id])
    show_path = reverse("web:show-detail", args=[episode.show.slug])
    page = new_page(browser, contexts)
    errors = watched(page)
    audio_requests: list[str] = []
    page.on(
        "request",
        lambda r: audio_requests.append(r.url) if audio_path in r.url else None,
    )
    sign_in(page, serial_server, show_path)
    page.locator(
        '#episode-desplegar-sin-cortar a.chapter-link[data-start="105"]'
    ).click()
    wait_playing_from(page, 106)

    def stored_text() -> str:
        return page.evaluate(  # type: ignore[no-any-return]
            """() => JSON.stringify([Object.entries(localStorage),
                                     Object.entries(sessionStorage)])"""
        )

    assert audio_path not in stored_text()
    left_at = audio_time(page)
    page.get_by_role("link", name="Explorar").click()
    page.wait_for_url("**/browse/")
    wait_playing_from(page, left_at - 0.5)  # its subscriber listens on
    assert audio_time(page) < left_at + 3
    assert page.locator("#player-title").inner_text() == episode.title
    assert audio_path not in stored_text()

    page.get_by_role("link", name="Tu cuenta").click()
    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_load_state()
    audio_requests.clear()
    page.goto(serial_server.url + reverse("web:browse"))
    page.wait_for_function("() => localStorage.getItem('ondas.last') === null")

    assert page.locator("#player").is_hidden()
    assert audio_requests == []
    assert audio_path not in stored_text()
    assert errors == [], errors


@pytest.mark.django_db(transaction=True)
def test_under_the_default_autoplay_policy_a_click_plays_on_a_typed_address_waits(
    browser: Browser,
    serial_server: LiveServer,  # noqa: F811
    page_faults_episode: Episode,
) -> None:
    """The other tests' chromium lets pages play without a gesture; this one
    keeps chromium's own rule. A link clicked carries the listener's gesture
    to the next page, which plays on; an address typed in does not, and the
    bar waits, paused at the second it was left at, for a press."""
    args = [arg for arg in CHROMIUM_ARGS if not arg.startswith("--autoplay-policy")]
    strict = browser.browser_type.launch(executable_path=str(CHROMIUM), args=args)
    try:
        page = strict.new_page()
        page.set_default_timeout(10_000)
        errors = watched(page)
        page.goto(show_url(serial_server, page_faults_episode))
        page.locator(
            '#episode-cpu-and-kernel-page-faults a.chapter-link[data-start="720"]'
        ).click()
        wait_playing_from(page, 721)

        left_at = audio_time(page)
        page.get_by_role("link", name="Explorar").click()
        page.wait_for_url("**/browse/")
        wait_playing_from(page, left_at - 0.5)

        page.goto(serial_server.url + reverse("web:audiobook-list"))  # typed
        page.wait_for_selector("#player:not([hidden])")
        page.wait_for_function(
            "() => document.getElementById('player-audio').readyState >= 1"
        )
        page.wait_for_timeout(500)
        state = page.evaluate(
            """() => {
                const audio = document.getElementById("player-audio");
                return {paused: audio.paused, time: audio.currentTime,
                        label: document.getElementById("player-toggle")
                                       .getAttribute("aria-label")};
            }"""
        )
        assert state["paused"] is True
        assert state["label"] == "Reproducir"
        assert float(state["time"]) > left_at  # where the last page left off
        assert errors == [], errors
    finally:
        strict.close()
