"""Billing's pages through the test client: storefront, subscribing, the account
section, Stripe's webhook, and the paywall on exclusive audio."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, translation
from django.utils.html import escape
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing.models import LedgerEntry, Plan, Subscription
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import (
    plan_create,
    stripe_webhook_receive,
    subscription_advance,
    subscription_cancel,
    subscription_start,
)
from ondas.catalog.models import Episode, Show
from ondas.core import clock
from tests.billing.stripe_standin import StripeStandIn, stripe_standin
from tests.billing.test_stripe import SECRET, sign
from tests.support.billing import DECLINED, FAILS_RENEWAL, GOOD_CARD

pytestmark = pytest.mark.django_db

PLANS = reverse("billing:plans")
ACCOUNT = reverse("accounts:account")
WEBHOOK = reverse("billing:stripe-webhook")
Status = Subscription.Status


def subscribe_url(plan: Plan) -> str:
    return reverse("billing:subscribe", args=[plan.slug])


@pytest.fixture
def free(db: None) -> Plan:
    return plan_create(slug="free", name="Free", price_minor=0, currency="MXN")


@pytest.fixture
def english(client: Client, settings: Settings) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def trial(user: User, premium: Plan) -> Subscription:
    """A trial that started a moment ago, on the clock the views read."""
    return subscription_start(
        user=user,
        plan=premium,
        payment_method=payment_method_from_test_card(GOOD_CARD),
        now=clock.now(),
    )


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def day(moment: datetime) -> str:
    """A date as the English pages write it."""
    with translation.override("en"):
        return formats.date_format(moment, "DATE_FORMAT")


def flat(html: str) -> str:
    """The page's text with runs of whitespace made one space."""
    return " ".join(html.split())


# The storefront ------------------------------------------------------------


def test_storefront_in_spanish_lists_benefits_terms_and_the_trial(
    client: Client, free: Plan, premium: Plan
) -> None:
    html = flat(page(client, PLANS))

    assert '<h1 class="storefront__title">Elige tu suscripción</h1>' in html
    for benefit in (
        "20 horas de audiolibros cada mes",
        "Podcasts exclusivos, solo para suscriptores",
        "Todos los podcasts gratuitos",
        "Sin permanencia: cancelas cuando quieras",
    ):
        assert benefit in html
    assert (
        "7 días de prueba gratis y después $99.00 MXN al mes; cancelas cuando quieras."
        in html
    )
    assert f'href="{subscribe_url(premium)}">Probar gratis 7 días</a>' in html
    assert "Gratis para siempre." in html  # the Free plan's terms


def test_storefront_in_english(english: Client, free: Plan, premium: Plan) -> None:
    html = flat(page(english, PLANS))

    assert "Choose your plan" in html
    assert "20 hours of audiobooks every month" in html
    assert "Exclusive podcasts, for subscribers only" in html
    assert "All the free podcasts" in html
    assert "7-day free trial, then $99.00 MXN a month, cancel anytime." in html
    assert f'href="{subscribe_url(premium)}">Start the 7-day free trial</a>' in html


def test_storefront_says_no_trial_to_someone_who_had_one(
    english: Client, user: User, trial: Subscription
) -> None:
    subscription_cancel(subscription=trial, acting_user=user, now=clock.now())
    subscription_advance(subscription=trial, now=clock.now() + timedelta(days=8))
    english.force_login(user)

    html = flat(page(english, PLANS))

    assert (
        "No free trial: your email address has already had one. You will be "
        "charged $99.00 MXN today, then $99.00 MXN a month; cancel anytime." in html
    )
    assert "7-day free trial" not in html
    assert ">Subscribe to Premium</a>" in html


def test_storefront_sends_a_subscriber_to_their_account(
    english: Client, user: User, trial: Subscription
) -> None:
    english.force_login(user)

    html = flat(page(english, PLANS))

    assert "Your plan" in html
    assert f'href="{ACCOUNT}">Manage your subscription</a>' in html
    assert "$99.00 MXN a month, cancel anytime." in html
    assert "trial" not in html.split("storefront__title")[1]
    assert subscribe_url(trial.plan) not in html


def test_storefront_hides_a_plan_no_longer_offered(
    client: Client, premium: Plan
) -> None:
    Plan.objects.filter(pk=premium.pk).update(is_active=False)

    html = page(client, PLANS)

    assert "Premium" not in html
    assert client.get(subscribe_url(premium)).status_code in (302, 404)


# Subscribing -----------------------------------------------------------------


def test_subscribe_sends_anonymous_people_to_sign_in_and_back(
    client: Client, premium: Plan
) -> None:
    response = client.get(subscribe_url(premium))

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('accounts:sign-in')}?next={subscribe_url(premium)}"
    )


def test_subscribe_page_asks_for_a_test_card(signed_in: Client, premium: Plan) -> None:
    html = page(signed_in, subscribe_url(premium))

    assert '<label for="id_card_number">Número de tarjeta' in html
    assert 'autocomplete="cc-number"' in html
    assert 'inputmode="numeric"' in html
    assert 'aria-describedby="id_card_number_helptext"' in html
    assert "solo acepta tarjetas de prueba, como 4242 4242 4242 4242" in html
    assert "csrfmiddlewaretoken" in html


def test_subscribe_for_a_free_or_unknown_plan_is_a_404(
    signed_in: Client, free: Plan
) -> None:
    assert signed_in.get(subscribe_url(free)).status_code == 404
    missing = reverse("billing:subscribe", args=["gold"])
    assert signed_in.get(missing).status_code == 404


@pytest.mark.parametrize("card", [GOOD_CARD, FAILS_RENEWAL, "4242424242424242"])
def test_subscribe_with_an_accepted_test_card_starts_the_trial(
    english: Client, user: User, premium: Plan, card: str
) -> None:
    english.force_login(user)

    response = english.post(subscribe_url(premium), {"card_number": card})

    assert response.status_code == 302
    assert response["Location"] == ACCOUNT
    sub = Subscription.objects.get(user=user)
    assert sub.status == Status.TRIALING
    assert sub.trial_end == sub.current_period_end
    html = flat(page(english, ACCOUNT))
    end = day(sub.trial_end)
    assert f"Your free trial of Premium has started. It runs until {end}" in html
    assert f"Free trial until {end}" in html
    assert f"$99.00 MXN on {end}" in html
    assert f"Test card ending {card[-4:]}" in html
    assert "Nothing has been charged yet." in html


@pytest.mark.parametrize(
    ("card", "status", "message"),
    [
        (DECLINED, 402, "This card was declined. Try another one."),
        (
            "4111 1111 1111 1111",
            400,
            "This server takes test cards only (for example 4242 4242 4242 4242).",
        ),
        ("4242", 400, "A card number has 12 to 19 digits, with or without spaces."),
        ("", 400, "Enter a card number."),
    ],
)
def test_subscribe_with_a_refused_card_shows_the_form_again(
    english: Client, user: User, premium: Plan, card: str, status: int, message: str
) -> None:
    english.force_login(user)

    response = english.post(subscribe_url(premium), {"card_number": card})

    assert response.status_code == status
    html = response.content.decode()
    assert escape(message) in html
    assert 'name="card_number"' in html
    assert not Subscription.objects.filter(user=user).exists()
    assert not LedgerEntry.objects.exists()


def test_subscribe_twice_is_refused(
    english: Client, user: User, trial: Subscription
) -> None:
    english.force_login(user)

    html = page(english, subscribe_url(trial.plan))
    response = english.post(subscribe_url(trial.plan), {"card_number": GOOD_CARD})

    assert "You already have a subscription." in html
    assert 'name="card_number"' not in html
    assert response.status_code == 409
    assert Subscription.objects.filter(user=user).count() == 1


def test_posts_without_csrf_token_are_refused(
    user: User, premium: Plan, trial: Subscription
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    cancel = reverse("billing:subscription-cancel", args=[trial.pk])
    resume = reverse("billing:subscription-resume", args=[trial.pk])

    assert strict.post(cancel).status_code == 403
    assert strict.post(resume).status_code == 403
    assert (
        strict.post(subscribe_url(premium), {"card_number": GOOD_CARD}).status_code
        == 403
    )
    trial.refresh_from_db()
    assert trial.cancel_at_period_end is False


def test_a_new_person_without_csrf_token_cannot_subscribe(premium: Plan) -> None:
    newcomer = User.objects.create_user("cy@example.com", "a long pass phrase")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(newcomer)

    response = strict.post(subscribe_url(premium), {"card_number": GOOD_CARD})

    assert response.status_code == 403
    assert not Subscription.objects.exists()


# The account page ----------------------------------------------------------------


def test_account_page_without_subscription_offers_the_plans(
    english: Client, user: User
) -> None:
    english.force_login(user)

    html = flat(page(english, ACCOUNT))

    assert "You have no subscription." in html
    assert f'href="{PLANS}">See the plans</a>' in html


def test_cancel_then_resume_from_the_account_page(
    english: Client, user: User, trial: Subscription
) -> None:
    english.force_login(user)
    cancel = reverse("billing:subscription-cancel", args=[trial.pk])
    end = day(trial.current_period_end)

    assert f'href="{cancel}"' in page(english, ACCOUNT)
    confirm = flat(page(english, cancel))
    assert "Cancel your subscription?" in confirm
    assert f"You keep Premium until {end}" in confirm
    trial.refresh_from_db()
    assert trial.cancel_at_period_end is False  # looking is not cancelling

    response = english.post(cancel)

    assert response.status_code == 302 and response["Location"] == ACCOUNT
    html = flat(page(english, ACCOUNT))
    assert f"you can keep listening until {end}" in html
    assert f"Cancelled: you can listen until {end}" in html
    assert "Next charge" not in html
    assert "Resume the subscription" in html
    assert f'href="{cancel}"' not in html

    response = english.post(reverse("billing:subscription-resume", args=[trial.pk]))

    assert response.status_code == 302
    html = flat(page(english, ACCOUNT))
    assert f"Your subscription carries on. It renews on {end}." in html
    assert f"Free trial until {end}" in html
    trial.refresh_from_db()
    assert trial.cancel_at_period_end is False


def test_cancelling_twice_is_a_clear_conflict(
    english: Client, user: User, trial: Subscription
) -> None:
    english.force_login(user)
    cancel = reverse("billing:subscription-cancel", args=[trial.pk])
    english.post(cancel)

    response = english.post(cancel)

    assert response.status_code == 409
    assert "This subscription is already cancelled." in response.content.decode()


def test_someone_elses_subscription_is_not_found(
    english: Client, trial: Subscription
) -> None:
    intruder = User.objects.create_user("eve@example.com", "a long pass phrase")
    english.force_login(intruder)

    for name in ("subscription-cancel", "subscription-resume"):
        response = english.post(reverse(f"billing:{name}", args=[trial.pk]))
        assert response.status_code == 404
    trial.refresh_from_db()
    assert trial.cancel_at_period_end is False


def test_a_plan_withdrawn_while_people_subscribe_stays_on_their_account(
    english: Client, user: User, trial: Subscription
) -> None:
    Plan.objects.filter(pk=trial.plan_id).update(is_active=False)
    english.force_login(user)

    html = flat(page(english, ACCOUNT))

    assert 'Premium <span class="badge">no longer offered</span>' in html
    assert "Free trial until" in html
    assert "Cancel the subscription…" in html


def test_ended_subscription_shows_the_end_and_the_plans(
    english: Client, user: User, trial: Subscription
) -> None:
    subscription_cancel(subscription=trial, acting_user=user, now=clock.now())
    subscription_advance(subscription=trial, now=clock.now() + timedelta(days=8))
    english.force_login(user)

    html = flat(page(english, ACCOUNT))

    assert "Ended on" in html
    assert "Resume the subscription" not in html
    assert f'href="{PLANS}">See the plans</a>' in html


def test_account_page_in_spanish(signed_in: Client, trial: Subscription) -> None:
    html = flat(page(signed_in, ACCOUNT))

    assert "Tu suscripción" in html
    assert "Prueba gratis hasta el" in html
    assert "Tarjeta de prueba terminada en 4242" in html
    assert "Recibos" in html


def test_change_card_goes_to_stripes_portal(
    stripe: StripeStandIn, english: Client, user: User, premium: Plan
) -> None:
    sub = _stripe_subscription(user, premium)
    english.force_login(user)

    assert "Change card" in page(english, ACCOUNT)
    response = english.post(reverse("billing:payment-method-change", args=[sub.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("https://")
    assert any("billing_portal" in path for _m, path, _f in stripe.requests)


def test_change_card_is_only_for_stripe(
    english: Client, user: User, trial: Subscription
) -> None:
    english.force_login(user)

    assert "Change card" not in page(english, ACCOUNT)
    response = english.post(reverse("billing:payment-method-change", args=[trial.pk]))
    assert response.status_code == 404


# Stripe ------------------------------------------------------------------------


@pytest.fixture
def stripe(settings: Settings) -> Iterator[StripeStandIn]:
    with stripe_standin() as server:
        settings.ONDAS_PAYMENT_PROVIDER = "stripe"
        settings.ONDAS_STRIPE_SECRET_KEY = "sk_test_only"
        settings.ONDAS_STRIPE_API_BASE = server.base
        settings.ONDAS_STRIPE_WEBHOOK_SECRET = SECRET
        yield server


def _stripe_subscription(user: User, plan: Plan) -> Subscription:
    now = int(clock.now().timestamp())
    payload = _event(
        "evt_sub",
        "customer.subscription.created",
        {
            "id": "sub_1",
            "object": "subscription",
            "status": "trialing",
            "customer": "cus_1",
            "cancel_at_period_end": False,
            "current_period_start": now,
            "current_period_end": now + 7 * 86400,
            "trial_end": now + 7 * 86400,
            "metadata": {"ondas_user": str(user.pk), "ondas_plan": plan.slug},
        },
    )
    stripe_webhook_receive(payload=payload, signature=sign(payload), now=clock.now())
    return Subscription.objects.get(user=user)


def _event(event_id: str, kind: str, obj: dict[str, object]) -> bytes:
    created = int(clock.now().timestamp())
    body = {"id": event_id, "type": kind, "created": created, "data": {"object": obj}}
    return json.dumps(body).encode()


def test_stripe_subscribe_goes_to_checkout(
    stripe: StripeStandIn, english: Client, user: User, premium: Plan
) -> None:
    english.force_login(user)

    html = page(english, subscribe_url(premium))
    response = english.post(subscribe_url(premium))

    assert "Continue to secure payment" in html
    assert "Nothing is charged there" in html
    assert 'name="card_number"' not in html
    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.test/c/cs_test_1"
    (sent,) = stripe.created("/v1/checkout/sessions")
    assert sent["mode"] == ["setup"]  # it only saves the card
    assert "line_items[0][price]" not in sent
    back = reverse("billing:checkout-return", args=[premium.slug])
    assert sent["success_url"][0].endswith(back + "?session_id={CHECKOUT_SESSION_ID}")
    assert sent["cancel_url"][0].endswith(reverse("billing:checkout-cancel"))
    assert sent["metadata[ondas_user]"] == [str(user.pk)]
    (customer,) = stripe.created("/v1/customers")
    assert customer["email"] == [user.email]


def test_checkout_return_pages(english: Client, user: User) -> None:
    english.force_login(user)

    done = page(english, reverse("billing:checkout-success"))
    cancelled = page(english, reverse("billing:checkout-cancel"))

    assert "as soon as Stripe confirms it" in done
    assert "nothing was charged" in cancelled


def test_webhook_applies_a_signed_event_once(
    stripe: StripeStandIn, user: User, premium: Plan
) -> None:
    strict = Client(enforce_csrf_checks=True)  # Stripe sends no CSRF token
    now = int(clock.now().timestamp())
    payload = _event(
        "evt_1",
        "customer.subscription.created",
        {
            "id": "sub_9",
            "status": "trialing",
            "customer": "cus_9",
            "current_period_start": now,
            "current_period_end": now + 7 * 86400,
            "trial_end": now + 7 * 86400,
            "metadata": {"ondas_user": str(user.pk), "ondas_plan": premium.slug},
        },
    )

    def deliver() -> dict[str, object]:
        response = strict.post(
            WEBHOOK,
            payload,
            content_type="application/json",
            headers={"stripe-signature": sign(payload)},
        )
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    first, again = deliver(), deliver()

    assert first == {"received": True, "outcome": "synced trialing"}
    assert again == {"received": True, "outcome": "duplicate"}
    assert Subscription.objects.filter(user=user, provider="stripe").count() == 1


def test_webhook_refuses_a_bad_signature(stripe: StripeStandIn) -> None:
    payload = _event("evt_2", "invoice.paid", {"id": "in_1"})

    response = Client().post(
        WEBHOOK,
        payload,
        content_type="application/json",
        headers={"stripe-signature": sign(payload, secret="whsec_someone_else")},
    )
    unsigned = Client().post(WEBHOOK, payload, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "webhook_signature_invalid"
    assert unsigned.status_code == 400


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"id": "evt_3"}', "\u00e9".encode("latin-1")]
)
def test_webhook_refuses_a_signed_body_that_is_no_event(
    stripe: StripeStandIn, body: bytes
) -> None:
    response = Client().post(
        WEBHOOK,
        body,
        content_type="application/json",
        headers={"stripe-signature": sign(body)},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "webhook_payload_invalid"


def test_webhook_answers_200_to_events_it_ignores(stripe: StripeStandIn) -> None:
    payload = _event("evt_4", "customer.created", {"id": "cus_1"})

    response = Client().post(
        WEBHOOK,
        payload,
        content_type="application/json",
        headers={"stripe-signature": sign(payload)},
    )

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"


def test_webhook_takes_post_only(client: Client) -> None:
    assert client.get(WEBHOOK).status_code == 405


# The paywall ---------------------------------------------------------------------


@pytest.fixture
def exclusive_episode(demo_catalog: Show) -> Episode:
    return Episode.objects.get(
        show__slug="sala-de-maquinas", slug="un-servidor-una-base-de-datos"
    )


@pytest.fixture
def demo_premium(demo_catalog: Show) -> Plan:
    return Plan.objects.get(slug="premium")


def audio_url(episode: Episode) -> str:
    assert episode.audio is not None
    return reverse("playback:audio", args=[episode.audio.pk])


def subscribe_now(user: User, plan: Plan) -> Subscription:
    return subscription_start(
        user=user,
        plan=plan,
        payment_method=payment_method_from_test_card(GOOD_CARD),
        now=clock.now(),
    )


def test_exclusive_audio_is_refused_without_a_subscription(
    client: Client, user: User, exclusive_episode: Episode
) -> None:
    anonymous = client.get(audio_url(exclusive_episode))
    client.force_login(user)
    signed_in = client.get(audio_url(exclusive_episode))

    for response in (anonymous, signed_in):
        assert response.status_code == 403
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]
        assert "Este episodio es para suscriptores." in response.content.decode()


def test_exclusive_audio_plays_for_a_subscriber_in_private(
    client: Client, user: User, exclusive_episode: Episode, demo_premium: Plan
) -> None:
    subscribe_now(user, demo_premium)
    client.force_login(user)

    response = client.get(audio_url(exclusive_episode), headers={"range": "bytes=0-9"})

    assert response.status_code == 206
    assert response["Cache-Control"] == "private, no-cache"


def test_exclusive_audio_follows_the_clock_after_cancelling(
    client: Client,
    settings: Settings,
    user: User,
    exclusive_episode: Episode,
    demo_premium: Plan,
) -> None:
    sub = subscribe_now(user, demo_premium)
    subscription_cancel(subscription=sub, acting_user=user, now=clock.now())
    client.force_login(user)

    settings.ONDAS_CLOCK_SHIFT = timedelta(days=6, hours=23)
    still = client.get(audio_url(exclusive_episode), headers={"range": "bytes=0-0"})
    settings.ONDAS_CLOCK_SHIFT = timedelta(days=7, minutes=1)
    after = client.get(audio_url(exclusive_episode), headers={"range": "bytes=0-0"})

    assert still.status_code == 206
    assert after.status_code == 403


def test_free_audio_plays_for_everyone_and_is_cacheable(
    client: Client, page_faults_episode: Episode
) -> None:
    response = client.get(
        audio_url(page_faults_episode), headers={"range": "bytes=0-0"}
    )

    assert response.status_code == 206
    assert response["Cache-Control"] == "public, max-age=86400"


def test_show_page_locks_exclusive_episodes_with_the_offer(
    client: Client, exclusive_episode: Episode
) -> None:
    html = page(client, reverse("web:show-detail", args=["sala-de-maquinas"]))

    locked = html.split('id="episode-un-servidor-una-base-de-datos"')[1]
    locked = locked.split("</article>")[0]
    assert "Para suscriptores" in locked
    assert f'href="{PLANS}"' in locked
    assert 'data-action="play-episode"' not in locked
    assert audio_url(exclusive_episode) not in html
    assert (
        "chapter-link--locked" in locked
        and "<a href" not in locked.split("chapters__list")[1]
    )
    # The free trailer of the same show still plays.
    trailer = html.split('id="episode-bienvenida"')[1].split("</article>")[0]
    assert 'data-action="play-episode"' in trailer
    assert "data-audio-src" in trailer


def test_show_page_lets_a_subscriber_play(
    client: Client, user: User, exclusive_episode: Episode, demo_premium: Plan
) -> None:
    subscribe_now(user, demo_premium)
    client.force_login(user)

    html = page(client, reverse("web:show-detail", args=["sala-de-maquinas"]))

    assert "Para suscriptores" not in html
    assert f'data-audio-src="{audio_url(exclusive_episode)}"' in html


def test_episode_page_locks_without_a_subscription(
    client: Client, exclusive_episode: Episode
) -> None:
    url = reverse(
        "web:episode-detail", args=["sala-de-maquinas", exclusive_episode.slug]
    )

    html = page(client, url + "?t=80")

    assert "Para suscriptores" in html
    assert audio_url(exclusive_episode) not in html  # not even in <noscript>
    assert "data-start-at" in html and "data-audio-src" not in html


def test_show_page_asks_billing_once_whatever_the_number_of_episodes(
    client: Client,
    user: User,
    exclusive_episode: Episode,
    demo_premium: Plan,
) -> None:
    subscribe_now(user, demo_premium)
    client.force_login(user)
    url = reverse("web:show-detail", args=["sala-de-maquinas"])

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    billing = [q["sql"] for q in queries.captured_queries if "billing_" in q["sql"]]
    assert len(billing) == 1  # two exclusive episodes, one question
    # show, categories, count, episodes, chapters, session, user, subscription,
    # whether the person follows the show
    assert len(queries) == 9
