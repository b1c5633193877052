"""The offer knows before payment: a card or an address that has had its free
trial sees a plain statement of today's charge and is charged only once it
confirms; another card still gets the trial."""

from __future__ import annotations

import re
from datetime import timedelta

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
