"""Plans and subscribers, made through the services the product uses."""

from __future__ import annotations

from datetime import UTC, datetime

from ondas.accounts.models import User
from ondas.billing.models import Plan, Subscription
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import plan_create, subscription_start
from ondas.core import clock

# A fixed, aware clock for services that take ``now``.
T0 = datetime(2026, 1, 10, 12, tzinfo=UTC)
GOOD_CARD = "4242 4242 4242 4242"
OTHER_CARD = "5555 5555 5555 4444"  # succeeds too: another card, with its own trial
FAILS_RENEWAL = "4000 0000 0000 0341"
DECLINED = "4000 0000 0000 0002"
SUBSCRIBER_EMAIL = "lee@example.com"
PASSWORD = "a long pass phrase for tests"  # noqa: S105


def premium_plan_make(*, trial_days: int = 7) -> Plan:
    """Premium as the storefront sells it: exclusive shows, 20 hours of books."""
    return plan_create(
        slug="premium",
        name="Premium",
        price_minor=9900,
        currency="MXN",
        trial_days=trial_days,
        audiobook_hours=20,
        includes_exclusive=True,
    )


def subscribe(
    user: User, plan: Plan, *, card: str = GOOD_CARD, now: datetime | None = None
) -> Subscription:
    """Start a subscription, by default now on the clock the views read, as
    someone who agreed to pay today if the card or address had its trial."""
    return subscription_start(
        user=user,
        plan=plan,
        payment_method=payment_method_from_test_card(card),
        now=now or clock.now(),
        accept_charge=True,
    )
