"""The offer knows before payment: a card or an address that has had its free
trial sees a plain statement of today's charge and is charged only once it
confirms; another card still gets the trial. Offline test cards and Stripe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing.models import LedgerEntry, PaymentAttempt, Plan, Subscription
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import subscription_advance, subscription_cancel
from ondas.billing.tokens import charge_consent_make
from ondas.core import clock
from tests.billing.stripe_standin import StripeStandIn, stripe_standin
from tests.billing.test_stripe import SECRET
from tests.support.billing import GOOD_CARD, OTHER_CARD, subscribe

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("accounts:account")
Status = Subscription.Status
CARD_STATEMENT = (
    "This card has already had a free trial, so there is none with it: if you "
    "go on, you will be charged $99.00 MXN today."
)
EMAIL_STATEMENT = (
    "Your email address has already had a free trial, so there is none this "
    "time: if you go on, you will be charged $99.00 MXN today."
)


def subscribe_url(plan: Plan) -> str:
    return reverse("billing:subscribe", args=[plan.slug])


def flat(html: str) -> str:
    return " ".join(html.split())


@pytest.fixture
def english(client: Client, settings: Settings) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def second(db: None) -> User:
    """Another person, whose card may be the one ``user`` had a trial with."""
    return User.objects.create_user("bea@example.com", "another pass phrase")


@pytest.fixture
def card_had_its_trial(user: User, premium: Plan) -> Subscription:
    """``user`` took Premium's trial with the good test card."""
    return subscribe(user, premium, card=GOOD_CARD)


@pytest.fixture
def email_had_its_trial(user: User, card_had_its_trial: Subscription) -> User:
    """``user``'s trial is over and cancelled: the address has had its trial."""
    subscription_cancel(
        subscription=card_had_its_trial, acting_user=user, now=clock.now()
    )
    subscription_advance(
        subscription=card_had_its_trial, now=clock.now() + timedelta(days=8)
    )
    return user


def nothing_charged(user: User) -> bool:
    return not (
        Subscription.objects.filter(user=user, status__in=Subscription.LIVE).exists()
        or PaymentAttempt.objects.filter(subscription__user=user).exists()
        or LedgerEntry.objects.filter(user=user).exists()
    )


def consent_in(html: str) -> str:
    match = re.search(r'name="consent" value="([^"]+)"', html)
    assert match, html
    return match[1]


# Offline: the card rule ----------------------------------------------------------


def test_second_account_with_the_same_card_is_told_and_not_charged(
    english: Client, second: User, premium: Plan, card_had_its_trial: Subscription
) -> None:
    english.force_login(second)
    offer = flat(english.get(subscribe_url(premium)).content.decode())
    assert "Start the 7-day free trial" in offer  # the address has had none

    response = english.post(subscribe_url(premium), {"card_number": GOOD_CARD})

    assert response.status_code == 200
    html = flat(response.content.decode())
    assert "No free trial with this card" in html
    assert CARD_STATEMENT in html
    assert "Then $99.00 MXN a month; cancel anytime" in html
    assert "Nothing has been charged yet." in html
    assert ">Pay $99.00 MXN today</button>" in html
    assert "Or use another card" in html
    assert 'name="card_number"' in html
    assert f'value="{GOOD_CARD}"' not in html  # the page keeps no card number
    assert "4242424242424242" not in signing.loads(
        consent_in(html), salt="ondas.billing.charge-consent"
    )
    assert nothing_charged(second)


def test_confirming_charges_today(
    english: Client, second: User, premium: Plan, card_had_its_trial: Subscription
) -> None:
    english.force_login(second)
    html = english.post(subscribe_url(premium), {"card_number": GOOD_CARD})
    confirm = reverse("billing:subscribe-confirm", args=[premium.slug])

    response = english.post(confirm, {"consent": consent_in(html.content.decode())})

    assert response.status_code == 302
    assert response["Location"] == ACCOUNT
    sub = Subscription.objects.get(user=second)
    assert sub.status == Status.ACTIVE and sub.trial_end is None
    assert LedgerEntry.objects.get(user=second).amount_minor == 9900
    account = flat(english.get(ACCOUNT).content.decode())
    assert "Your Premium subscription is active. Your receipt is below." in account


def test_another_card_on_the_same_page_gets_the_trial(
    english: Client, second: User, premium: Plan, card_had_its_trial: Subscription
) -> None:
    english.force_login(second)
    english.post(subscribe_url(premium), {"card_number": GOOD_CARD})

    response = english.post(subscribe_url(premium), {"card_number": OTHER_CARD})

    assert response.status_code == 302
    sub = Subscription.objects.get(user=second)
    assert sub.status == Status.TRIALING
    assert sub.payment_method_label == "Test card ending 4444"
    assert not LedgerEntry.objects.filter(user=second).exists()


def test_a_consent_is_for_one_person_and_one_plan(
    english: Client, user: User, second: User, premium: Plan
) -> None:
    method = payment_method_from_test_card(GOOD_CARD)
    forged = {
        "someone else's": charge_consent_make(
            user_id=user.pk, plan_slug=premium.slug, payment_method=method
        ),
        "another plan's": charge_consent_make(
            user_id=second.pk, plan_slug="other", payment_method=method
        ),
        "tampered": charge_consent_make(
            user_id=second.pk, plan_slug=premium.slug, payment_method=method
        )[:-3]
        + "abc",
    }
    english.force_login(second)
    confirm = reverse("billing:subscribe-confirm", args=[premium.slug])
    for consent in forged.values():
        response = english.post(confirm, {"consent": consent})
        assert response.status_code == 400
        assert "This confirmation has expired" in response.content.decode()
    assert nothing_charged(second)


# Offline: the email rule ---------------------------------------------------------


def test_the_address_rule_is_said_before_the_card_and_charged_on_its_button(
    english: Client, email_had_its_trial: User, premium: Plan
) -> None:
    user = email_had_its_trial
    english.force_login(user)

    html = flat(english.get(subscribe_url(premium)).content.decode())

    assert (
        "No free trial: your email address has already had one. You will be "
        "charged $99.00 MXN today, then $99.00 MXN a month; cancel anytime." in html
    )
    assert '<input type="hidden" name="accept_charge" value="1">' in html
    assert ">Pay $99.00 MXN today</button>" in html
    assert "Start the 7-day free trial" not in html

    response = english.post(
        subscribe_url(premium), {"card_number": OTHER_CARD, "accept_charge": "1"}
    )
    assert response.status_code == 302
    live = Subscription.objects.get(user=user, status__in=Subscription.LIVE)
    assert live.status == Status.ACTIVE
    assert LedgerEntry.objects.filter(subscription=live).count() == 1


def test_the_address_rule_without_the_agreement_asks_first(
    english: Client, email_had_its_trial: User, premium: Plan
) -> None:
    """A page that still offered the trial (its address's trial was taken in
    another tab) posts no agreement: the person is asked, not charged."""
    english.force_login(email_had_its_trial)

    response = english.post(subscribe_url(premium), {"card_number": OTHER_CARD})

    html = flat(response.content.decode())
    assert response.status_code == 200
    assert "No free trial this time" in html
    assert EMAIL_STATEMENT in html
    assert "Or use another card" not in html  # another card would not help
    assert nothing_charged(email_had_its_trial)


# Stripe -------------------------------------------------------------------------


@pytest.fixture
def stripe(settings: Settings, premium: Plan) -> Iterator[StripeStandIn]:
    premium.stripe_price_id = "price_123"
    premium.save(update_fields=["stripe_price_id"])
    with stripe_standin() as server:
        settings.ONDAS_PAYMENT_PROVIDER = "stripe"
        settings.ONDAS_STRIPE_SECRET_KEY = "sk_test_only"
        settings.ONDAS_STRIPE_API_BASE = server.base
        settings.ONDAS_STRIPE_WEBHOOK_SECRET = SECRET
        yield server


def through_checkout(
    client: Client, stripe: StripeStandIn, plan: Plan, *, fingerprint: str
) -> str:
    """Press "Continue", type a card at Stripe, come back: the return page's path."""
    client.post(subscribe_url(plan))
    session_id = list(stripe.sessions)[-1]
    stripe.card_entered(session_id, fingerprint=fingerprint)
    success = stripe.created("/v1/checkout/sessions")[-1]["success_url"][0]
    back = urlsplit(success.replace("{CHECKOUT_SESSION_ID}", session_id))
    assert parse_qs(back.query) == {"session_id": [session_id]}
    return f"{back.path}?{back.query}"


def test_stripe_second_account_with_the_same_card_confirms_before_the_charge(
    english: Client, user: User, second: User, premium: Plan, stripe: StripeStandIn
) -> None:
    english.force_login(user)
    back = through_checkout(english, stripe, premium, fingerprint="fpA")
    page = flat(english.get(back).content.decode())
    assert "Your card is saved" in page
    assert "Nothing is charged today: your 7-day free trial starts now" in page
    english.post(back.split("?")[0], {"session_id": back.split("=")[-1]})
    assert Subscription.objects.get(user=user).status == Status.TRIALING

    english.force_login(second)
    back = through_checkout(english, stripe, premium, fingerprint="fpA")
    session_id = back.split("=")[-1]

    html = flat(english.get(back).content.decode())
    assert "No free trial with this card" in html
    assert "Card: Visa ending 4242." in html
    assert CARD_STATEMENT in html
    assert ">Pay $99.00 MXN today</button>" in html
    assert ">Use another card</button>" in html
    assert len(stripe.created("/v1/subscriptions")) == 1  # only the first person's

    unconfirmed = english.post(back.split("?")[0], {"session_id": session_id})
    assert unconfirmed.status_code == 200
    assert CARD_STATEMENT in flat(unconfirmed.content.decode())
    assert len(stripe.created("/v1/subscriptions")) == 1
    assert nothing_charged(second)

    confirmed = english.post(
        back.split("?")[0], {"session_id": session_id, "accept_charge": "1"}
    )
    assert confirmed.status_code == 302
    assert "trial_period_days" not in stripe.created("/v1/subscriptions")[-1]
    sub = Subscription.objects.get(user=second)
    assert sub.status == Status.ACTIVE and sub.trial_end is None


def test_stripe_use_another_card_gets_the_trial(
    english: Client, second: User, premium: Plan, stripe: StripeStandIn
) -> None:
    # Someone else had the trial with card fpA already.
    other = User.objects.create_user("cy@example.com", "a third pass phrase")
    english.force_login(other)
    back = through_checkout(english, stripe, premium, fingerprint="fpA")
    english.post(back.split("?")[0], {"session_id": back.split("=")[-1]})
    english.force_login(second)
    back = through_checkout(english, stripe, premium, fingerprint="fpA")
    assert CARD_STATEMENT in flat(english.get(back).content.decode())

    # "Use another card" is the subscribe button again: a new Checkout.
    back = through_checkout(english, stripe, premium, fingerprint="fpB")
    html = flat(english.get(back).content.decode())
    assert "Nothing is charged today: your 7-day free trial starts now" in html
    english.post(back.split("?")[0], {"session_id": back.split("=")[-1]})
    sub = Subscription.objects.get(user=second)
    assert sub.status == Status.TRIALING
    assert stripe.created("/v1/subscriptions")[-1]["trial_period_days"] == ["7"]


def test_stripe_return_page_of_an_unfinished_checkout(
    english: Client, user: User, premium: Plan, stripe: StripeStandIn
) -> None:
    english.force_login(user)
    english.post(subscribe_url(premium))
    session_id = list(stripe.sessions)[-1]  # no card entered
    back = reverse("billing:checkout-return", args=[premium.slug])

    response = english.get(back, {"session_id": session_id})

    assert response.status_code == 400
    assert "Nothing was charged" in response.content.decode()
    assert stripe.created("/v1/subscriptions") == []
