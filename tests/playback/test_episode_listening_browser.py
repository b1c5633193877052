"""The episode player reports what it played, in Debian's chromium."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.models import User
from ondas.analytics.listening import listening_rollup
from ondas.analytics.models import ListeningDay
from ondas.catalog.models import Episode
from ondas.playback.models import HeardSpan
from tests.playback.test_book_browser import (  # noqa: F401 (fixtures)
    contexts,
    new_page,
    serial_server,
    wait_for,
)
from tests.support.billing import PASSWORD, SUBSCRIBER_EMAIL

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_listener_s_playing_is_kept_as_heard_spans(
    browser: Browser,
    contexts: list[BrowserContext],  # noqa: F811
    serial_server: LiveServer,  # noqa: F811
    demo_subscriber: User,
    page_faults_episode: Episode,
) -> None:
    page = new_page(browser, contexts)
    show_path = reverse("web:show-detail", args=[page_faults_episode.show.slug])
    page.goto(f"{serial_server.url}{reverse('accounts:sign-in')}?next={show_path}")
    page.get_by_label("Correo electrónico").fill(SUBSCRIBER_EMAIL)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").last.click()
    page.wait_for_url(f"**{show_path}")

    page.locator(
        '#episode-cpu-and-kernel-page-faults a.chapter-link[data-start="720"]'
    ).click()
    page.wait_for_function(
        """() => {
            const audio = document.getElementById("player-audio");
            return !audio.paused && audio.currentTime >= 722.5;
        }"""
    )
    page.get_by_role("button", name="Pausa").first.click()

    def kept() -> list[HeardSpan]:
        return list(HeardSpan.objects.filter(user=demo_subscriber))

    wait_for(lambda: kept())
    spans = kept()
    assert all(s.episode_id == page_faults_episode.pk for s in spans)
    assert min(s.start_seconds for s in spans) >= 719
    assert sum(s.end_seconds - s.start_seconds for s in spans) >= 2
    assert {s.rate for s in spans} == {1.0}

    listening_rollup()
    day = ListeningDay.objects.get(user=demo_subscriber, episode=page_faults_episode)
    assert day.audio_seconds >= 2
    assert day.played is False  # a few seconds are not a play
