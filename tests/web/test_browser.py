"""The web player in Debian's chromium, driven by Playwright against a live server.

Never a downloaded browser: ``executable_path`` points at /usr/bin/chromium.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Locator, Page
from pytest_django.live_server_helper import LiveServer

from ondas.catalog.models import Episode
from ondas.core.timefmt import format_clock

TIMEOUT_MS = 10_000

pytestmark = pytest.mark.browser


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile per test: empty localStorage, Spanish by default."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page of that profile; a script error on it fails the test."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert errors == [], errors


@pytest.fixture
def show_page_url(live_server: LiveServer, page_faults_episode: Episode) -> str:
    # live_server needs a database every thread can see: transactional_db.
    return live_server.url + reverse(
        "web:show-detail", args=[page_faults_episode.show.slug]
    )


def audio_state(page: Page) -> dict[str, object]:
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const audio = document.getElementById("player-audio");
            return {paused: audio.paused, time: audio.currentTime,
                    rate: audio.playbackRate};
        }"""
    )


def wait_playing_from(page: Page, seconds: float) -> None:
    """Wait until the audio plays at or past ``seconds``."""
    page.wait_for_function(
        """(from) => {
            const audio = document.getElementById("player-audio");
            return !audio.paused && audio.readyState >= 3 && audio.currentTime >= from;
        }""",
        arg=seconds,
    )


def chapter_link(page: Page, start: int) -> Locator:
    return page.locator(
        f'#episode-cpu-and-kernel-page-faults a.chapter-link[data-start="{start}"]'
    )


def start_at_vma_areas(page: Page, url: str) -> None:
    page.goto(url)
    link = chapter_link(page, 720)
    assert link.inner_text() == "12:00"
    link.click()
    wait_playing_from(page, 720)


def current_chapter(page: Page) -> str:
    return page.locator("#player-chapter").inner_text()


@pytest.mark.django_db(transaction=True)
def test_chapter_link_plays_from_the_chapter(page: Page, show_page_url: str) -> None:
    start_at_vma_areas(page, show_page_url)

    first = audio_state(page)
    page.wait_for_timeout(700)
    later = audio_state(page)
    assert first["paused"] is False and later["paused"] is False
    assert 720 <= float(first["time"]) < 725  # type: ignore[arg-type]
    assert float(later["time"]) > float(first["time"])  # type: ignore[arg-type]
    assert current_chapter(page) == "VMA areas"
    assert page.locator("#player-title").inner_text() == "CPU and Kernel Page Faults"
    current_row = page.locator(".chapter.is-current")
    assert current_row.get_attribute("data-start") == "720"


@pytest.mark.django_db(transaction=True)
def test_speed_skip_and_next_chapter(page: Page, show_page_url: str) -> None:
    start_at_vma_areas(page, show_page_url)

    page.select_option("#player-speed", "1.5")
    assert audio_state(page)["rate"] == 1.5
    assert page.evaluate("localStorage.getItem('ondas.speed')") == "1.5"

    before = float(audio_state(page)["time"])  # type: ignore[arg-type]
    page.get_by_role("button", name="Avanzar 30 segundos").click()
    wait_playing_from(page, before + 30)
    assert float(audio_state(page)["time"]) < before + 35  # type: ignore[arg-type]

    page.get_by_role("button", name="Capítulo siguiente").click()
    wait_playing_from(page, 1190)  # 19:50
    assert float(audio_state(page)["time"]) < 1195  # type: ignore[arg-type]
    page.wait_for_function(
        "() => document.getElementById('player-chapter').textContent === 'Kernel mode'"
    )

    page.locator("body").press("ArrowLeft")  # keyboard: back 15 s
    page.wait_for_function(
        "() => document.getElementById('player-audio').currentTime < 1190"
    )
    assert current_chapter(page) == "VMA areas"

    page.reload()
    assert page.locator("#player-speed").input_value() == "1.5"


@pytest.mark.django_db(transaction=True)
def test_resume_after_reload(page: Page, show_page_url: str) -> None:
    start_at_vma_areas(page, show_page_url)
    wait_playing_from(page, 721.5)
    page.get_by_role("button", name="Pausar", exact=True).click()
    page.wait_for_function("() => document.getElementById('player-audio').paused")
    paused_at = float(audio_state(page)["time"])  # type: ignore[arg-type]

    page.reload()

    # The bar comes back with the episode, paused where it was left.
    assert page.locator("#player").is_visible()
    assert page.locator("#player-elapsed").inner_text() == format_clock(paused_at)
    play = page.locator(
        '#episode-cpu-and-kernel-page-faults [data-action="play-episode"]'
    )
    assert play.inner_text().startswith(f"Seguir en {format_clock(paused_at)}")
    play.click()
    wait_playing_from(page, int(paused_at))
    assert float(audio_state(page)["time"]) < paused_at + 5  # type: ignore[arg-type]
    assert current_chapter(page) == "VMA areas"


@pytest.mark.django_db(transaction=True)
def test_episode_page_starts_at_t(
    page: Page, live_server: LiveServer, page_faults_episode: Episode
) -> None:
    url = live_server.url + reverse(
        "web:episode-detail",
        args=[page_faults_episode.show.slug, page_faults_episode.slug],
    )

    page.goto(url + "?t=2379")

    wait_playing_from(page, 2379)
    assert float(audio_state(page)["time"]) < 2384  # type: ignore[arg-type]
    assert current_chapter(page) == "File backed page fault"
