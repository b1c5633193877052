"""Amounts in integer minor units with their ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal

# Currencies whose minor unit is not 1/100 (ISO 4217 exponents).
_EXPONENTS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "TND": 3}


def exponent(currency: str) -> int:
    """Return how many decimal places the currency's minor unit has."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """Return the amount in major units: 9900 MXN → Decimal('99.00')."""
    return Decimal(amount_minor).scaleb(-exponent(currency))


def format_money(amount_minor: int, currency: str) -> str:
    """Return a plain, unambiguous rendering: ``$99.00 MXN``."""
    places = exponent(currency)
    value = to_decimal(amount_minor, currency)
    return f"${value:,.{places}f} {currency.upper()}"
