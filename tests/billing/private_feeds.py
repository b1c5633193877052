"""Subscribers with private feeds, made through the services the product uses."""

from __future__ import annotations

from ondas.accounts.models import User
from ondas.billing.models import Plan, PrivateFeedKey, Subscription
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import feed_key_create, plan_create, subscription_start
from ondas.catalog.models import Show
from ondas.core import clock

GOOD_CARD = "4242 4242 4242 4242"


def exclusive_plan_make() -> Plan:
    """A monthly plan with the exclusive shows and no trial: paid at once."""
    return plan_create(
        slug="premium",
        name="Premium",
        price_minor=9900,
        currency="MXN",
        audiobook_hours=20,
        includes_exclusive=True,
    )


def subscribe(user: User, plan: Plan) -> Subscription:
    """Start a subscription now, on the clock the views read."""
    return subscription_start(
        user=user,
        plan=plan,
        payment_method=payment_method_from_test_card(GOOD_CARD),
        now=clock.now(),
    )


def key_make(user: User, show: Show) -> tuple[PrivateFeedKey, str]:
    """The person's private feed of the show, and its token."""
    key = feed_key_create(user=user, show=show, now=clock.now())
    token = key.token()
    assert token is not None
    return key, token
