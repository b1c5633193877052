"""The offline provider: test cards for the demo, and payments an operator confirms.

No real card ever reaches it: ``payment_method_from_test_card`` accepts only
the published test numbers below and refuses anything else, and only the
last four digits and the card's behaviour are kept. A payment received outside
Ondas (a bank transfer) for an overdue subscription is recorded by staff in the
admin (``billing.services.subscription_record_offline_payment``).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.utils.translation import gettext as _

from ondas.billing.errors import PaymentDeclined, PaymentMethodRefused
from ondas.billing.providers.base import ChargeResult, PaymentMethod

# Card number → behaviour. The numbers are the industry's usual test numbers.
TEST_CARDS = {
    "4242424242424242": "succeeds",
    "5555555555554444": "succeeds",
    "4000000000000341": "fails_renewal",  # accepted now, every later charge fails
    "4000000000000002": "declined",  # refused at once
}


def _fingerprint(number: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"card:{number}".encode(), hashlib.sha256).hexdigest()


def payment_method_from_test_card(number: str) -> PaymentMethod:
    """Return the payment method for a test card; refuse real or unknown numbers."""
    digits = "".join(ch for ch in number if ch.isdigit())
    behaviour = TEST_CARDS.get(digits)
    if behaviour is None:
        raise PaymentMethodRefused(
            reason=_(
                "This server takes test cards only (for example 4242 4242 4242 4242)."
            )
        )
    if behaviour == "declined":
        raise PaymentDeclined(reason="card_declined")
    return PaymentMethod(
        ref=f"test:{behaviour}:{digits[-4:]}",
        label=_("Test card ending %(last4)s") % {"last4": digits[-4:]},
        fingerprint=_fingerprint(digits),
    )


class OfflineProvider:
    name = "offline"

    def charge(
        self,
        *,
        payment_method_ref: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        kind, _sep, rest = payment_method_ref.partition(":")
        behaviour = rest.split(":", 1)[0]
        if kind != "test" or behaviour not in {"succeeds", "fails_renewal"}:
            return ChargeResult(ok=False, failure_reason="card_declined")
        if behaviour == "fails_renewal" and not idempotency_key.endswith(":first"):
            return ChargeResult(ok=False, failure_reason="insufficient_funds")
        ref = "off_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return ChargeResult(ok=True, provider_ref=ref)

    def set_cancel_at_period_end(self, *, subscription_ref: str, cancel: bool) -> None:
        """Nothing to tell: Ondas itself renews offline subscriptions."""

    def cancel_now(self, *, subscription_ref: str) -> None:
        """Nothing to tell: Ondas itself renews offline subscriptions."""
