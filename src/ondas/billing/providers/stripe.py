"""Stripe: Checkout to start, the billing portal to change the card, webhooks
to learn what happened. Stripe renews and retries on its own schedule; Ondas
mirrors its subscriptions through ``services.stripe_events``.

Nothing here runs in the test suite against Stripe itself (this machine has
no network): the tests point ``ONDAS_STRIPE_API_BASE`` at a stand-in HTTP
server on 127.0.0.1 that answers the few calls below, and sign their webhook
payloads locally with the webhook secret.
"""

from __future__ import annotations

from typing import Any, cast

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ondas.billing.providers.base import ChargeResult


def _client() -> stripe.StripeClient:
    key = settings.ONDAS_STRIPE_SECRET_KEY
    if not key:
        raise ImproperlyConfigured("ONDAS_STRIPE_SECRET_KEY is not set")
    base = settings.ONDAS_STRIPE_API_BASE
    if base:
        return stripe.StripeClient(key, base_addresses={"api": base})
    return stripe.StripeClient(key)


class StripeProvider:
    name = "stripe"

    def charge(
        self,
        *,
        payment_method_ref: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        # Stripe collects renewals itself; Ondas records them from invoice.paid.
        return ChargeResult(ok=False, failure_reason="stripe_collects_itself")

    def set_cancel_at_period_end(self, *, subscription_ref: str, cancel: bool) -> None:
        if subscription_ref:
            _client().v1.subscriptions.update(
                subscription_ref, {"cancel_at_period_end": cancel}
            )

    def cancel_now(self, *, subscription_ref: str) -> None:
        if subscription_ref:
            _client().v1.subscriptions.cancel(subscription_ref)

    def checkout_url(
        self,
        *,
        price_id: str,
        email: str,
        user_id: int,
        plan_slug: str,
        trial_days: int,
        success_url: str,
        cancel_url: str,
    ) -> str:
        """Create a Checkout Session for the plan and return where to send the person."""
        subscription_data: dict[str, Any] = {
            "metadata": {"ondas_user": str(user_id), "ondas_plan": plan_slug}
        }
        if trial_days:
            subscription_data["trial_period_days"] = trial_days
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "customer_email": email,
            "client_reference_id": str(user_id),
            "subscription_data": subscription_data,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        session = _client().v1.checkout.sessions.create(cast(Any, params))
        return str(session.url)

    def portal_url(self, *, customer_ref: str, return_url: str) -> str:
        """Return a billing-portal link where the person changes their card."""
        session = _client().v1.billing_portal.sessions.create(
            {"customer": customer_ref, "return_url": return_url}
        )
        return str(session.url)


def verify_webhook(*, payload: bytes, signature: str, secret: str) -> None:
    """Raise stripe.SignatureVerificationError unless Stripe signed ``payload``."""
    stripe.WebhookSignature.verify_header(
        payload.decode("utf-8"), signature, secret, tolerance=300
    )
