"""Stripe: Checkout to save a card, a subscription started on it once the
person has seen whether a trial is due, the billing portal to change the
card, webhooks to learn what happened. Stripe renews and retries on its own
schedule; Ondas mirrors its subscriptions through ``services.stripe_events``.

Nothing here runs in the test suite against Stripe itself (this machine has
no network): the tests point ``ONDAS_STRIPE_API_BASE`` at a stand-in HTTP
server on 127.0.0.1 that answers the few calls below, and sign their webhook
payloads locally with the webhook secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from ondas.billing.errors import PaymentDeclined
from ondas.billing.providers.base import ChargeResult, PaymentMethod


@dataclass(frozen=True)
class StripeCard:
    """A card saved in a setup-mode Checkout Session, for one person and plan."""

    session_id: str
    customer_ref: str
    user_id: int
    plan_slug: str
    payment_method: PaymentMethod


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

    def customer_create(self, *, email: str, user_id: int) -> str:
        """Create the Stripe customer a person's cards and subscriptions hang on."""
        customer = _client().v1.customers.create(
            {"email": email, "metadata": {"ondas_user": str(user_id)}}
        )
        return str(customer.id)

    def setup_checkout_url(
        self,
        *,
        customer_ref: str,
        user_id: int,
        plan_slug: str,
        success_url: str,
        cancel_url: str,
    ) -> str:
        """Open a Checkout Session that only saves a card (setup mode), and
        return where to send the person. Nothing is charged there: Ondas reads
        the card's fingerprint afterwards, says whether a trial is due, and
        starts the subscription once the person confirms."""
        params: dict[str, Any] = {
            "mode": "setup",
            "customer": customer_ref,
            "payment_method_types": ["card"],
            "client_reference_id": str(user_id),
            "metadata": {"ondas_user": str(user_id), "ondas_plan": plan_slug},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        session = _client().v1.checkout.sessions.create(cast(Any, params))
        return str(session.url)

    def checkout_card(self, *, session_id: str) -> StripeCard | None:
        """Return the card saved in a finished setup-mode Checkout Session, or
        None if the session is not one, or not finished."""
        session = _client().v1.checkout.sessions.retrieve(
            session_id, {"expand": ["setup_intent.payment_method"]}
        )
        data = session.to_dict()
        intent = data.get("setup_intent")
        if data.get("mode") != "setup" or data.get("status") != "complete":
            return None
        if not isinstance(intent, dict) or not isinstance(
            intent.get("payment_method"), dict
        ):
            return None
        method = intent["payment_method"]
        card = method.get("card") or {}
        meta = data.get("metadata") or {}
        return StripeCard(
            session_id=session_id,
            customer_ref=str(data.get("customer") or ""),
            user_id=int(meta.get("ondas_user") or 0),
            plan_slug=str(meta.get("ondas_plan") or ""),
            payment_method=PaymentMethod(
                ref=str(method["id"]),
                label=_("%(brand)s ending %(last4)s")
                % {
                    "brand": str(card.get("brand") or "card").title(),
                    "last4": str(card.get("last4") or ""),
                },
                fingerprint=str(card.get("fingerprint") or ""),
            ),
        )

    def subscription_create(
        self,
        *,
        card: StripeCard,
        price_id: str,
        trial_days: int,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Start the Stripe subscription on the saved card; return Stripe's object.

        Without a trial the first invoice is paid at once, or the call fails
        (``error_if_incomplete``): a refused card raises PaymentDeclined.
        """
        params: dict[str, Any] = {
            "customer": card.customer_ref,
            "items": [{"price": price_id}],
            "default_payment_method": card.payment_method.ref,
            "payment_behavior": "error_if_incomplete",
            "metadata": {"ondas_user": str(card.user_id), "ondas_plan": card.plan_slug},
        }
        if trial_days:
            params["trial_period_days"] = trial_days
        try:
            sub = _client().v1.subscriptions.create(
                cast(Any, params), {"idempotency_key": idempotency_key}
            )
        except stripe.CardError as exc:
            raise PaymentDeclined(reason=str(exc.code or "card_declined")) from None
        return sub.to_dict()

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
