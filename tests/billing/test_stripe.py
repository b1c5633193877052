"""The Stripe adapter: webhooks signed locally, outgoing calls to a stand-in."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing.errors import (
    AlreadySubscribed,
    ChargeConsentInvalid,
    PaymentDeclined,
    TrialRefusal,
    TrialUnavailable,
    WebhookSignatureInvalid,
)
from ondas.billing.models import (
    LedgerEntry,
    Plan,
    ProcessedWebhook,
    Subscription,
    TrialClaim,
)
from ondas.billing.selectors import ledger_balance_minor, listening_rights
from ondas.billing.services import (
    stripe_checkout_offer,
    stripe_webhook_receive,
    subscription_cancel,
    subscription_checkout_url,
    subscription_start_stripe,
)
from ondas.core.digests import keyed_digest
from ondas.core.errors import ErrorCode
from tests.billing.stripe_standin import StripeStandIn, stripe_standin
from tests.support.billing import T0

SECRET = "whsec_test_only"
PERIOD_START = int(T0.timestamp())
PERIOD_END = PERIOD_START + 7 * 86400
Status = Subscription.Status


@pytest.fixture
def standin(settings: Settings) -> Iterator[StripeStandIn]:
    with stripe_standin() as server:
        settings.ONDAS_STRIPE_SECRET_KEY = "sk_test_only"
        settings.ONDAS_STRIPE_API_BASE = server.base
        settings.ONDAS_STRIPE_WEBHOOK_SECRET = SECRET
        yield server


@pytest.fixture(autouse=True)
def webhook_secret(settings: Settings) -> None:
    settings.ONDAS_STRIPE_WEBHOOK_SECRET = SECRET


def sign(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def deliver(event_id: str, kind: str, obj: dict[str, Any], *, created: int) -> str:
    payload = json.dumps(
        {"id": event_id, "type": kind, "created": created, "data": {"object": obj}}
    ).encode()
    return stripe_webhook_receive(payload=payload, signature=sign(payload), now=T0)


def sub_obj(
    user: User,
    status: str,
    *,
    start: int = PERIOD_START,
    end: int = PERIOD_END,
    cancel: bool = False,
) -> dict[str, Any]:
    return {
        "id": "sub_1",
        "object": "subscription",
        "status": status,
        "customer": "cus_1",
        "cancel_at_period_end": cancel,
        "trial_end": PERIOD_END if status == "trialing" else None,
        "metadata": {"ondas_user": str(user.pk), "ondas_plan": "premium"},
        "items": {"data": [{"current_period_start": start, "current_period_end": end}]},
    }


def invoice(
    amount: int = 9900, *, start: int = PERIOD_END, inv: str = "in_1"
) -> dict[str, Any]:
    return {
        "id": inv,
        "object": "invoice",
        "amount_paid": amount,
        "currency": "mxn",
        "subscription": "sub_1",
        "lines": {"data": [{"period": {"start": start, "end": start + 30 * 86400}}]},
    }


@pytest.fixture
def stripe_sub(user: User, premium: Plan) -> Subscription:
    deliver(
        "evt_1", "customer.subscription.created", sub_obj(user, "trialing"), created=100
    )
    return Subscription.objects.get(provider_ref="sub_1")


def test_bad_signature_is_refused_and_writes_nothing(user: User) -> None:
    payload = json.dumps(
        {
            "id": "evt_x",
            "type": "invoice.paid",
            "created": 1,
            "data": {"object": invoice()},
        }
    ).encode()
    for signature in [sign(payload, secret="whsec_wrong"), "t=1,v1=00", "", "garbage"]:
        with pytest.raises(WebhookSignatureInvalid) as exc_info:
            stripe_webhook_receive(payload=payload, signature=signature, now=T0)
        assert exc_info.value.code == ErrorCode.WEBHOOK_SIGNATURE_INVALID
    assert not ProcessedWebhook.objects.exists()


def test_old_signature_is_refused_as_a_replay(user: User) -> None:
    payload = b'{"id": "evt_old", "type": "ping", "created": 1, "data": {"object": {}}}'
    with pytest.raises(WebhookSignatureInvalid):
        stripe_webhook_receive(
            payload=payload, signature=sign(payload, at=int(time.time()) - 3600), now=T0
        )


def test_subscription_created_mirrors_a_trial(
    stripe_sub: Subscription, user: User
) -> None:
    assert stripe_sub.status == Status.TRIALING
    assert stripe_sub.provider_customer_ref == "cus_1"
    assert TrialClaim.objects.filter(subscription=stripe_sub).exists()
    assert listening_rights(user=user, now=T0).exclusive is True


def test_duplicated_event_is_applied_once(stripe_sub: Subscription, user: User) -> None:
    again = deliver(
        "evt_1", "customer.subscription.created", sub_obj(user, "trialing"), created=100
    )
    assert again == "duplicate"
    assert stripe_sub.events.count() == 1


def test_out_of_order_events_never_go_back(
    stripe_sub: Subscription, user: User
) -> None:
    deliver(
        "evt_3",
        "customer.subscription.updated",
        sub_obj(user, "active", start=PERIOD_END, end=PERIOD_END + 30 * 86400),
        created=300,
    )
    late = deliver(
        "evt_2", "customer.subscription.updated", sub_obj(user, "trialing"), created=200
    )
    assert late == "stale"
    stripe_sub.refresh_from_db()
    assert stripe_sub.status == Status.ACTIVE


def test_invoice_paid_twice_is_one_charge(stripe_sub: Subscription) -> None:
    deliver("evt_4", "invoice.paid", invoice(), created=400)
    deliver("evt_5", "invoice.paid", invoice(), created=401)  # Stripe re-sent it anew
    charge = LedgerEntry.objects.get()
    assert (charge.amount_minor, charge.currency, charge.provider_ref) == (
        9900,
        "MXN",
        "in_1",
    )


def test_zero_invoice_of_a_trial_is_not_money(stripe_sub: Subscription) -> None:
    assert deliver("evt_6", "invoice.paid", invoice(0), created=400) == "nothing paid"
    assert not LedgerEntry.objects.exists()


def test_failed_payment_makes_it_past_due(stripe_sub: Subscription, user: User) -> None:
    deliver(
        "evt_7",
        "invoice.payment_failed",
        {**invoice(), "amount_paid": 0, "next_payment_attempt": PERIOD_END + 86400},
        created=500,
    )
    stripe_sub.refresh_from_db()
    assert stripe_sub.status == Status.PAST_DUE
    assert stripe_sub.next_retry_at is not None


def test_refunds_are_recorded_once(stripe_sub: Subscription) -> None:
    deliver("evt_8", "invoice.paid", invoice(), created=400)
    refund = {
        "id": "ch_1",
        "object": "charge",
        "invoice": "in_1",
        "amount_refunded": 2000,
    }
    deliver("evt_9", "charge.refunded", refund, created=500)
    deliver("evt_10", "charge.refunded", refund, created=501)
    assert ledger_balance_minor(currency="MXN") == 7900


def test_deleted_subscription_ends_access(stripe_sub: Subscription, user: User) -> None:
    deliver(
        "evt_11",
        "customer.subscription.deleted",
        sub_obj(user, "canceled"),
        created=600,
    )
    stripe_sub.refresh_from_db()
    assert stripe_sub.status == Status.CANCELED
    assert listening_rights(user=user, now=T0).exclusive is False


def _saved_card(
    standin: StripeStandIn, user: User, plan: Plan, *, fingerprint: str
) -> str:
    """Open a setup Checkout for ``plan`` and enter a card in it; its session."""
    url = subscription_checkout_url(
        user=user, plan=plan, success_url="https://o.example/ok", cancel_url="/no"
    )
    session_id = url.rsplit("/", 1)[-1]
    standin.card_entered(session_id, fingerprint=fingerprint)
    return session_id


@pytest.fixture
def stripe_premium(premium: Plan) -> Plan:
    premium.stripe_price_id = "price_123"
    premium.save(update_fields=["stripe_price_id"])
    return premium


def test_checkout_only_saves_a_card(
    standin: StripeStandIn, user: User, stripe_premium: Plan
) -> None:
    url = subscription_checkout_url(
        user=user,
        plan=stripe_premium,
        success_url="https://o.example/ok",
        cancel_url="https://o.example/no",
    )
    assert url == "https://checkout.stripe.test/c/cs_test_1"
    (form,) = standin.created("/v1/checkout/sessions")
    assert form["mode"] == ["setup"]
    assert form["payment_method_types[0]"] == ["card"]
    assert "line_items[0][price]" not in form
    assert "subscription_data[trial_period_days]" not in form
    assert standin.created("/v1/subscriptions") == []


def test_a_saved_card_gets_the_trial_once_confirmed(
    standin: StripeStandIn, user: User, stripe_premium: Plan, english: None
) -> None:
    session = _saved_card(standin, user, stripe_premium, fingerprint="fpA")

    offer = stripe_checkout_offer(user=user, plan=stripe_premium, session_id=session)
    assert (offer.trial_days, offer.refusal) == (7, None)
    assert offer.card.payment_method.label == "Visa ending 4242"
    assert standin.created("/v1/subscriptions") == []  # looking starts nothing

    sub = subscription_start_stripe(
        user=user, plan=stripe_premium, session_id=session, accept_charge=False, now=T0
    )
    (form,) = standin.created("/v1/subscriptions")
    assert form["trial_period_days"] == ["7"]
    assert form["items[0][price]"] == ["price_123"]
    assert form["default_payment_method"] == ["pm_fpA_4242"]
    assert sub.status == Status.TRIALING
    assert sub.payment_method_label == "Visa ending 4242"
    claim = TrialClaim.objects.get(subscription=sub)
    assert claim.payment_fingerprint_digest == keyed_digest("fpA")


def test_a_card_that_had_its_trial_is_not_charged_until_confirmed(
    standin: StripeStandIn, user: User, stripe_premium: Plan
) -> None:
    first = _saved_card(standin, user, stripe_premium, fingerprint="fpA")
    subscription_start_stripe(
        user=user, plan=stripe_premium, session_id=first, accept_charge=False, now=T0
    )
    other = User.objects.create_user("otra@example.com", "another long phrase")
    session = _saved_card(standin, other, stripe_premium, fingerprint="fpA")

    offer = stripe_checkout_offer(user=other, plan=stripe_premium, session_id=session)
    assert (offer.trial_days, offer.refusal) == (0, TrialRefusal.CARD)
    with pytest.raises(TrialUnavailable):
        subscription_start_stripe(
            user=other,
            plan=stripe_premium,
            session_id=session,
            accept_charge=False,
            now=T0,
        )
    assert len(standin.created("/v1/subscriptions")) == 1  # the first person's

    sub = subscription_start_stripe(
        user=other, plan=stripe_premium, session_id=session, accept_charge=True, now=T0
    )
    form = standin.created("/v1/subscriptions")[-1]
    assert "trial_period_days" not in form
    assert form["payment_behavior"] == ["error_if_incomplete"]
    assert sub.status == Status.ACTIVE and sub.trial_end is None


def test_another_card_without_a_trial_gets_one(
    standin: StripeStandIn, user: User, stripe_premium: Plan
) -> None:
    first = _saved_card(standin, user, stripe_premium, fingerprint="fpA")
    subscription_start_stripe(
        user=user, plan=stripe_premium, session_id=first, accept_charge=False, now=T0
    )
    other = User.objects.create_user("otra@example.com", "another long phrase")
    session = _saved_card(standin, other, stripe_premium, fingerprint="fpB")

    sub = subscription_start_stripe(
        user=other, plan=stripe_premium, session_id=session, accept_charge=False, now=T0
    )
    assert sub.status == Status.TRIALING


def test_the_email_rule_holds_on_stripe_too(
    standin: StripeStandIn, stripe_sub: Subscription, user: User, stripe_premium: Plan
) -> None:
    deliver(
        "evt_12",
        "customer.subscription.deleted",
        sub_obj(user, "canceled"),
        created=600,
    )
    session = _saved_card(standin, user, stripe_premium, fingerprint="fpNew")

    offer = stripe_checkout_offer(user=user, plan=stripe_premium, session_id=session)
    assert (offer.trial_days, offer.refusal) == (0, TrialRefusal.EMAIL)
    with pytest.raises(TrialUnavailable) as exc_info:
        subscription_start_stripe(
            user=user,
            plan=stripe_premium,
            session_id=session,
            accept_charge=False,
            now=T0,
        )
    assert exc_info.value.reason == TrialRefusal.EMAIL
    assert standin.created("/v1/subscriptions") == []


def test_a_refused_first_payment_starts_nothing(
    standin: StripeStandIn, user: User, plan: Plan
) -> None:
    plan.stripe_price_id = "price_9"
    plan.save(update_fields=["stripe_price_id"])
    standin.declined.add("fpBad")
    session = _saved_card(standin, user, plan, fingerprint="fpBad")

    with pytest.raises(PaymentDeclined) as exc_info:
        subscription_start_stripe(
            user=user, plan=plan, session_id=session, accept_charge=True, now=T0
        )
    assert exc_info.value.data["reason"] == "card_declined"
    assert not Subscription.objects.filter(user=user).exists()


def test_someone_elses_checkout_is_refused(
    standin: StripeStandIn, user: User, stripe_premium: Plan
) -> None:
    session = _saved_card(standin, user, stripe_premium, fingerprint="fpA")
    other = User.objects.create_user("otra@example.com", "another long phrase")
    for start in (
        lambda: stripe_checkout_offer(
            user=other, plan=stripe_premium, session_id=session
        ),
        lambda: subscription_start_stripe(
            user=other,
            plan=stripe_premium,
            session_id=session,
            accept_charge=True,
            now=T0,
        ),
    ):
        with pytest.raises(ChargeConsentInvalid):
            start()
    assert standin.created("/v1/subscriptions") == []


def test_starting_twice_starts_one_subscription(
    standin: StripeStandIn, user: User, stripe_premium: Plan
) -> None:
    """A second click (or its webhook first) ends at the same mirror."""
    session = _saved_card(standin, user, stripe_premium, fingerprint="fpA")
    sub = subscription_start_stripe(
        user=user, plan=stripe_premium, session_id=session, accept_charge=False, now=T0
    )
    with pytest.raises(AlreadySubscribed):
        subscription_start_stripe(
            user=user,
            plan=stripe_premium,
            session_id=session,
            accept_charge=False,
            now=T0,
        )
    assert Subscription.objects.filter(user=user).get() == sub


def test_cancel_tells_stripe(
    standin: StripeStandIn, stripe_sub: Subscription, user: User
) -> None:
    subscription_cancel(subscription=stripe_sub, acting_user=user, now=T0)
    method, path, form = standin.requests[-1]
    assert (method, path) == ("POST", "/v1/subscriptions/sub_1")
    assert form["cancel_at_period_end"] == ["true"]
