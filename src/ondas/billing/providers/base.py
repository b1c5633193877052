"""What Ondas needs from a payment provider, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PaymentMethod:
    """A way to pay that the provider holds; Ondas keeps only these facts.

    ``fingerprint`` is the provider's stable identity of the card (the same
    card always gives the same value), used to grant one trial per card.
    """

    ref: str
    label: str
    fingerprint: str


@dataclass(frozen=True)
class ChargeResult:
    ok: bool
    provider_ref: str = ""
    failure_reason: str = ""


class ProviderError(Exception):
    """The provider could not be asked, or gave no answer: whether money moved is
    unknown. Asking again with the same idempotency key is safe."""


class PaymentProvider(Protocol):
    """A payment gateway. Ondas calls it outside any database transaction (a
    network round trip must not hold row locks), then records what it said."""

    name: str

    def charge(
        self,
        *,
        payment_method_ref: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        """Collect ``amount_minor``; the same key must never collect twice.

        A refusal is an answer (``ok=False``); raise ProviderError when there is
        no answer, so the charge is asked again later with the same key.
        """
        ...

    def set_cancel_at_period_end(self, *, subscription_ref: str, cancel: bool) -> None:
        """Tell the provider to stop (or go on) renewing at the period end."""
        ...

    def cancel_now(self, *, subscription_ref: str) -> None:
        """End the provider's subscription at once, without refund."""
        ...
