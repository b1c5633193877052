from datetime import UTC, datetime

import pytest

from ondas.accounts.models import User
from ondas.billing.models import Plan, Subscription
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import plan_create, subscription_cancel, subscription_start

T0 = datetime(2026, 1, 10, 12, tzinfo=UTC)
GOOD_CARD = "4242 4242 4242 4242"
FAILS_RENEWAL = "4000 0000 0000 0341"
DECLINED = "4000 0000 0000 0002"


@pytest.fixture
def premium(db: None) -> Plan:
    return plan_create(
        slug="premium",
        name="Premium",
        price_minor=9900,
        currency="MXN",
        trial_days=7,
        audiobook_hours=20,
        includes_exclusive=True,
    )


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("ana@example.com", "a long pass phrase")


@pytest.fixture
def subscription(user: User, premium: Plan) -> Subscription:
    return subscription_start(
        user=user,
        plan=premium,
        payment_method=payment_method_from_test_card(GOOD_CARD),
        now=T0,
    )


@pytest.fixture
def cancelled_subscription(subscription: Subscription, user: User) -> Subscription:
    return subscription_cancel(subscription=subscription, acting_user=user, now=T0)
