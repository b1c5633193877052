"""The payment provider is asked first, outside any transaction; the answer is
recorded afterwards in a short one that re-reads the subscription under lock.

``Gateway`` stands in for the outside world: it notes whether a transaction
was open each time it was asked, answers the same key the same way (as a real
gateway's idempotency keys do), and can run a competitor — another billing
run, a second click — while it is being asked, which is when another writer
may move the subscription on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing import providers
from ondas.billing.errors import AlreadySubscribed, SubscriptionAlreadyCancelled
from ondas.billing.models import (
    LedgerEntry,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionEvent,
)
from ondas.billing.periods import add_months
from ondas.billing.providers import ChargeResult, PaymentMethod
from ondas.billing.providers.base import ProviderError
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import (
    billing_run,
    plan_create,
    stripe_webhook_receive,
    subscription_advance,
    subscription_cancel,
    subscription_checkout_url,
    subscription_end_for_deleted_user,
    subscription_record_offline_payment,
    subscription_resume,
    subscription_start,
)
from ondas.billing.services.charges import OUTCOME_UNKNOWN
from tests.billing.test_stripe import SECRET, sign
from tests.support.billing import GOOD_CARD, T0

Status = Subscription.Status
Kind = SubscriptionEvent.Kind
DAY = timedelta(days=1)


class Gateway:
    """A payment gateway that records how it was asked."""

    name = "offline"

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.asked_inside_transaction: list[bool] = []
        self.declines: set[str] = set()  # keys it refuses
        self.errors: list[Exception] = []  # raised, one per call, before answering
        self.meanwhile: Callable[[], object] | None = None  # runs once, mid-call

    def _asked(self, method: str, arg: object) -> None:
        self.calls.append((method, arg))
        self.asked_inside_transaction.append(
            transaction.get_connection().in_atomic_block
        )
        if self.errors:
            raise self.errors.pop(0)
        if self.meanwhile is not None:
            competitor, self.meanwhile = self.meanwhile, None
            competitor()

    def charge(
        self,
        *,
        payment_method_ref: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        self._asked("charge", idempotency_key)
        if idempotency_key in self.declines:
            return ChargeResult(ok=False, failure_reason="card_declined")
        return ChargeResult(ok=True, provider_ref=f"pay:{idempotency_key}")

    def set_cancel_at_period_end(self, *, subscription_ref: str, cancel: bool) -> None:
        self._asked("set_cancel_at_period_end", cancel)

    def cancel_now(self, *, subscription_ref: str) -> None:
        self._asked("cancel_now", subscription_ref)

    def keys(self) -> list[object]:
        return [arg for method, arg in self.calls if method == "charge"]


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    fake = Gateway()
    monkeypatch.setitem(providers._PROVIDERS, "offline", fake)
    yield fake


@pytest.fixture
def monthly(db: None) -> Plan:
    """A plan without a trial: subscribing charges at once."""
    return plan_create(slug="monthly", name="Monthly", price_minor=9900, currency="MXN")


def card() -> PaymentMethod:
    return payment_method_from_test_card(GOOD_CARD)


def kinds(sub: Subscription) -> list[str]:
    return [e.kind for e in sub.events.all()]


# No transaction is open while the provider is asked ---------------------------


@pytest.mark.django_db(transaction=True)
def test_provider_is_never_asked_inside_a_transaction(
    gateway: Gateway, user: User, monthly: Plan
) -> None:
    sub = subscription_start(user=user, plan=monthly, payment_method=card(), now=T0)
    subscription_cancel(subscription=sub, acting_user=user, now=T0)
    subscription_resume(subscription=sub, acting_user=user, now=T0)
    end = sub.current_period_end
    end2 = add_months(end, 1)
    gateway.declines = {f"sub{sub.pk}:{end.isoformat()}:try1"}
    billing_run(now=end)  # the renewal is declined: past due …
    billing_run(now=end + DAY)  # … until the retry succeeds
    other = User.objects.create_user("otra@example.com", "another long phrase")
    theirs = subscription_start(
        user=other, plan=monthly, payment_method=card(), now=end
    )
    gateway.declines = {f"sub{theirs.pk}:{end2.isoformat()}:try1"}
    billing_run(now=end2)  # renews the first, the other's is declined …
    subscription_cancel(subscription=theirs, acting_user=other, now=end2)  # … ends
    subscription_end_for_deleted_user(user=user, now=end2)

    assert [method for method, _arg in gateway.calls] == [
        "charge",  # the first period
        "set_cancel_at_period_end",
        "set_cancel_at_period_end",
        "charge",  # the renewal, declined
        "charge",  # the retry
        "charge",  # the other person's first period
        "charge",  # the first person's second renewal
        "charge",  # the other person's renewal, declined
        "cancel_now",  # cancelled while overdue
        "cancel_now",  # the first person's account goes away
    ]
    assert gateway.asked_inside_transaction == [False] * len(gateway.calls)
    sub.refresh_from_db()
    theirs.refresh_from_db()
    assert (sub.status, theirs.status) == (Status.CANCELED, Status.CANCELED)
    assert LedgerEntry.objects.count() == 4


# Someone else moves the subscription on while the provider is asked -----------


def test_a_renewal_recorded_meanwhile_is_not_charged_or_advanced_twice(
    gateway: Gateway, subscription: Subscription
) -> None:
    end = subscription.current_period_end
    # Another billing run renews the same subscription while ours waits.
    gateway.meanwhile = lambda: subscription_advance(subscription=subscription, now=end)
    subscription_advance(subscription=subscription, now=end)

    key = f"sub{subscription.pk}:{end.isoformat()}:try1"
    assert gateway.keys() == [key, key]  # one key: the gateway collects once
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE
    assert subscription.current_period_start == end
    assert subscription.current_period_end == add_months(end, 1)  # not two months
    assert kinds(subscription) == [Kind.STARTED, Kind.TRIAL_CONVERTED]
    assert PaymentAttempt.objects.get().idempotency_key == key
    assert LedgerEntry.objects.get().provider_ref == f"pay:{key}"


def test_a_second_click_on_cancel_is_recorded_once(
    gateway: Gateway, subscription: Subscription, user: User
) -> None:
    gateway.meanwhile = lambda: subscription_cancel(
        subscription=subscription, acting_user=user, now=T0
    )
    with pytest.raises(SubscriptionAlreadyCancelled):
        subscription_cancel(subscription=subscription, acting_user=user, now=T0)
    assert kinds(subscription) == [Kind.STARTED, Kind.CANCEL_REQUESTED]


def test_cancel_while_a_renewal_fails_meanwhile_ends_it_now(
    gateway: Gateway, subscription: Subscription, user: User
) -> None:
    end = subscription.current_period_end
    gateway.declines = {f"sub{subscription.pk}:{end.isoformat()}:try1"}
    # The person cancels just as the trial ends and the first charge fails.
    gateway.meanwhile = lambda: subscription_advance(subscription=subscription, now=end)
    sub = subscription_cancel(subscription=subscription, acting_user=user, now=end)

    # Asked to stop at the period end, then (the period being overdue) at once.
    assert [m for m, _arg in gateway.calls] == [
        "set_cancel_at_period_end",
        "charge",
        "cancel_now",
    ]
    assert sub.status == Status.CANCELED
    assert kinds(sub) == [Kind.STARTED, Kind.PAYMENT_FAILED, Kind.CANCELED]
    sub.refresh_from_db()
    assert (sub.status, sub.next_retry_at) == (Status.CANCELED, None)


def test_a_second_click_on_subscribe_charges_once(
    gateway: Gateway, user: User, monthly: Plan
) -> None:
    def start() -> Subscription:
        return subscription_start(
            user=user, plan=monthly, payment_method=card(), now=T0
        )

    gateway.meanwhile = start
    with pytest.raises(AlreadySubscribed):
        start()

    first, second = gateway.keys()
    assert first == second  # the same request, the same key
    sub = Subscription.objects.get(user=user)
    assert PaymentAttempt.objects.get().subscription == sub
    assert LedgerEntry.objects.get().subscription == sub


# The provider fails ---------------------------------------------------------------


def test_provider_failure_leaves_the_subscription_and_records_the_attempt(
    gateway: Gateway, subscription: Subscription
) -> None:
    end = subscription.current_period_end
    gateway.errors = [ProviderError("connection reset")]
    report = billing_run(now=end)

    assert (report.advanced, len(report.errors)) == (0, 1)
    subscription.refresh_from_db()
    assert subscription.status == Status.TRIALING
    assert subscription.current_period_end == end
    assert (subscription.failed_attempts, subscription.next_retry_at) == (0, None)
    assert kinds(subscription) == [Kind.STARTED]
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == PaymentAttempt.Status.FAILED
    assert attempt.failure_reason == OUTCOME_UNKNOWN
    assert not LedgerEntry.objects.exists()

    # Whether money moved is unknown, so the next run asks with the same key.
    billing_run(now=end + timedelta(hours=1))
    key = f"sub{subscription.pk}:{end.isoformat()}:try1"
    assert gateway.keys() == [key, key]
    attempt.refresh_from_db()
    assert (attempt.status, attempt.idempotency_key) == ("succeeded", key)
    assert PaymentAttempt.objects.count() == LedgerEntry.objects.count() == 1
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE
    assert subscription.current_period_end == add_months(end, 1)


def test_provider_failure_on_cancel_changes_nothing(
    gateway: Gateway, subscription: Subscription, user: User
) -> None:
    gateway.errors = [ProviderError("timed out")]
    with pytest.raises(ProviderError):
        subscription_cancel(subscription=subscription, acting_user=user, now=T0)
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False
    assert kinds(subscription) == [Kind.STARTED]


# Services that ask the provider refuse to run inside a caller's transaction ----


def _webhook() -> None:
    payload = json.dumps(
        {"id": "evt_1", "type": "ping", "created": 1, "data": {"object": {}}}
    ).encode()
    stripe_webhook_receive(payload=payload, signature=sign(payload), now=T0)


@pytest.fixture
def calls(
    subscription: Subscription, user: User, monthly: Plan, settings: Settings
) -> dict[str, Callable[[], object]]:
    settings.ONDAS_STRIPE_WEBHOOK_SECRET = SECRET
    end = subscription.current_period_end
    staff = User.objects.create_superuser("ops@example.com", "staff pass phrase")
    other = User.objects.create_user("otra@example.com", "another long phrase")
    return {
        "start": lambda: subscription_start(
            user=other, plan=monthly, payment_method=card(), now=T0
        ),
        "cancel": lambda: subscription_cancel(
            subscription=subscription, acting_user=user, now=T0
        ),
        "resume": lambda: subscription_resume(
            subscription=subscription, acting_user=user, now=T0
        ),
        "advance": lambda: subscription_advance(subscription=subscription, now=end),
        "billing_run": lambda: billing_run(now=end),
        "offline_payment": lambda: subscription_record_offline_payment(
            subscription=subscription, acting_user=staff, reference="t", now=end
        ),
        "end_for_deleted_user": lambda: subscription_end_for_deleted_user(
            user=user, now=T0
        ),
        "checkout_url": lambda: subscription_checkout_url(
            user=other, plan=monthly, success_url="/ok", cancel_url="/no"
        ),
        "stripe_webhook": _webhook,
    }


@pytest.mark.parametrize(
    "name",
    [
        "start",
        "cancel",
        "resume",
        "advance",
        "billing_run",
        "offline_payment",
        "end_for_deleted_user",
        "checkout_url",
        "stripe_webhook",
    ],
)
def test_service_inside_a_callers_transaction_raises_before_asking_the_provider(
    name: str, calls: dict[str, Callable[[], object]], gateway: Gateway
) -> None:
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        calls[name]()
    assert gateway.calls == []
