"""Subscribing, listening, cancelling and the end of access, in Debian's chromium.

Same approach as tests/web/test_browser.py (whose browser fixtures are reused):
Playwright's sync API drives /usr/bin/chromium against pytest-django's live
server, and the server's clock is moved with ``ONDAS_CLOCK_SHIFT``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Page
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.models import User
from ondas.billing.models import LedgerEntry, Plan, Subscription
from ondas.catalog.models import Episode, Show
from tests.support.billing import subscribe
from tests.web.test_browser import (  # noqa: F401 - fixtures, used by name
    audio_state,
    context,
    page,
    wait_playing_from,
)

pytestmark = pytest.mark.browser

EMAIL = "lucia@example.com"
PASSWORD = "una frase de paso bastante larga"
EPISODE = "#episode-un-servidor-una-base-de-datos"


@pytest.fixture
def exclusive_episode(demo_catalog: Show) -> Episode:
    return Episode.objects.get(
        show__slug="sala-de-maquinas", slug="un-servidor-una-base-de-datos"
    )


def play_exclusive_episode(tab: Page, show_url: str) -> None:
    tab.goto(show_url)
    assert tab.locator(f"{EPISODE} .episode__locked").count() == 0
    tab.locator(f'{EPISODE} [data-action="play-episode"]').click()
    wait_playing_from(tab, 0.5)
    assert tab.locator("#player-title").inner_text() == "Un servidor, una base de datos"
    # Pause before leaving, or the next page would carry on playing by itself.
    tab.get_by_role("button", name="Pausar", exact=True).click()
    tab.wait_for_function("() => document.getElementById('player-audio').paused")


@pytest.mark.django_db(transaction=True)
def test_trial_play_cancel_and_the_lock_after_the_period(
    page: Page,  # noqa: F811 - the fixture imported above
    live_server: LiveServer,
    settings: Settings,
    exclusive_episode: Episode,
    mailoutbox: list[mail.EmailMessage],
) -> None:
    site = live_server.url
    show_url = site + reverse("web:show-detail", args=["sala-de-maquinas"])
    assert exclusive_episode.audio is not None
    audio_url = site + reverse("playback:audio", args=[exclusive_episode.audio.pk])

    # Before subscribing: the lock, the offer, and a 403 for the audio.
    page.goto(show_url)
    assert page.locator(f"{EPISODE} .episode__locked").is_visible()
    assert page.request.get(audio_url).status == 403

    # The storefront's call to action → sign-in → sign-up → back to the card form.
    page.locator(f"{EPISODE} .episode__offer").click()
    assert page.locator("h1").inner_text() == "Elige tu suscripción"
    page.get_by_role("link", name="Probar gratis 7 días").click()
    page.get_by_role("link", name="Crear una cuenta").click()
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.locator("form .account-card__submit").click()

    # The link that finishes the account comes by email, and carries on.
    assert page.locator("h1").inner_text() == "Revisa tu correo"
    (message,) = mailoutbox
    link = re.search(r"https?://\S+", str(message.body))
    assert link is not None
    page.goto(site + urlsplit(link[0])._replace(scheme="", netloc="").geturl())
    page.get_by_role("button", name="Confirmar y continuar").click()

    card = page.get_by_label("Número de tarjeta")
    card.fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Probar gratis 7 días").click()

    notice = page.locator(".notice--success")
    assert "Tu prueba gratis de Premium ya empezó" in notice.inner_text()
    sub = Subscription.objects.get(user__email=EMAIL)
    assert sub.status == Subscription.Status.TRIALING

    # Subscribed: the exclusive episode plays.
    play_exclusive_episode(page, show_url)

    # Cancel on the account page, with the confirmation step.
    page.goto(site + reverse("accounts:account"))
    page.get_by_role("link", name="Cancelar la suscripción…").click()
    page.get_by_role("button", name="Sí, cancelar la suscripción").click()
    assert "Tu suscripción está cancelada" in notice.inner_text()
    assert page.get_by_role("button", name="Reanudar la suscripción").is_visible()

    # Until the period ends, it still plays.
    play_exclusive_episode(page, show_url)

    # The clock passes the end of the trial: the lock and the offer come back.
    settings.ONDAS_CLOCK_SHIFT = sub.current_period_end - sub.current_period_start
    settings.ONDAS_CLOCK_SHIFT += timedelta(minutes=1)
    page.reload()

    locked = page.locator(f"{EPISODE} .episode__locked")
    assert locked.is_visible()
    assert "Para suscriptores" in locked.inner_text()
    offer = page.locator(f"{EPISODE} .episode__offer")
    assert offer.get_attribute("href") == reverse("billing:plans")
    assert page.locator(f'{EPISODE} [data-action="play-episode"]').count() == 0
    assert page.locator(f"{EPISODE} a.chapter-link").count() == 0
    assert page.request.get(audio_url).status == 403
    page.wait_for_timeout(500)
    assert audio_state(page)["paused"] is True

    page.goto(site + reverse("accounts:account"))
    assert "Terminó el" in page.locator("#subscription").inner_text()


@pytest.mark.django_db(transaction=True)
def test_a_second_account_with_a_card_that_had_its_trial_is_told_before_paying(
    page: Page,  # noqa: F811 - the fixture imported above
    live_server: LiveServer,
    demo_catalog: Show,
) -> None:
    premium = Plan.objects.get(slug="premium")
    subscribe(User.objects.create_user("ana@example.com", PASSWORD), premium)
    User.objects.create_user(EMAIL, PASSWORD)
    site = live_server.url

    page.goto(f"{site}{reverse('accounts:sign-in')}?next={reverse('billing:plans')}")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.locator("form .account-card__submit").click()
    page.get_by_role("link", name="Probar gratis 7 días").click()
    page.get_by_label("Número de tarjeta").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Probar gratis 7 días").click()

    # The same card had Ana's trial: said plainly, and nothing charged yet.
    assert page.locator("h1").inner_text() == "Sin prueba gratis con esta tarjeta"
    assert page.locator(".checkout__statement").inner_text() == (
        "Esta tarjeta ya tuvo una prueba gratis, así que con ella no hay otra: si "
        "sigues, hoy se te cobrarán $99.00 MXN."
    )
    assert "Todavía no se ha cobrado nada." in page.locator(".checkout").inner_text()
    assert page.get_by_role("button", name="Usar esta tarjeta").is_visible()
    assert not Subscription.objects.filter(user__email=EMAIL).exists()
    assert not LedgerEntry.objects.filter(user__email=EMAIL).exists()

    page.get_by_role("button", name="Pagar $99.00 MXN hoy").click()

    notice = page.locator(".notice--success")
    assert "Tu suscripción Premium está activa." in notice.inner_text()
    sub = Subscription.objects.get(user__email=EMAIL)
    assert sub.status == Subscription.Status.ACTIVE and sub.trial_end is None
    assert LedgerEntry.objects.get(user__email=EMAIL).amount_minor == 9900
