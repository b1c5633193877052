"""Payment providers behind one interface; ``get_provider`` picks one by name."""

from __future__ import annotations

from ondas.billing.providers.base import (
    ChargeResult,
    PaymentMethod,
    PaymentProvider,
    ProviderError,
)
from ondas.billing.providers.offline import OfflineProvider
from ondas.billing.providers.stripe import StripeProvider

_PROVIDERS: dict[str, PaymentProvider] = {
    "offline": OfflineProvider(),
    "stripe": StripeProvider(),
}


def get_provider(name: str) -> PaymentProvider:
    """Return the provider registered as ``name``; raise KeyError if none is."""
    return _PROVIDERS[name]


def register_provider(provider: PaymentProvider) -> None:
    """Make ``provider`` available under its ``name``."""
    _PROVIDERS[provider.name] = provider


__all__ = [
    "ChargeResult",
    "PaymentMethod",
    "PaymentProvider",
    "ProviderError",
    "get_provider",
    "register_provider",
]
