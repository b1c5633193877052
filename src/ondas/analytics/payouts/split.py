"""Integer arithmetic of payouts: no floats touch money.

The rounding rule (largest remainder, also called Hamilton's method): to
split ``total`` minor units among keys in proportion to integer weights,

1. each key first gets ``total * weight // sum_of_weights`` (rounded down);
2. the units left over (fewer than the number of keys) go one each to the
   keys with the largest remainders ``total * weight % sum_of_weights``;
   equal remainders go to the larger weight first, then to the smaller key.

So the parts always sum to ``total`` exactly, and no part is more than one
unit away from its exact share.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K", bound=tuple[str, int])


def largest_remainder(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """Split ``total`` among the keys of ``weights`` (all > 0); parts sum to it."""
    if total < 0:
        raise ValueError("cannot split a negative amount")
    whole = sum(weights.values())
    if whole <= 0:
        raise ValueError("weights must sum to more than zero")
    parts: dict[K, int] = {}
    remainders: list[tuple[int, int, K]] = []
    for key, weight in weights.items():
        if weight <= 0:
            raise ValueError("every weight must be positive")
        quotient, remainder = divmod(total * weight, whole)
        parts[key] = quotient
        remainders.append((remainder, weight, key))
    left = total - sum(parts.values())
    # Largest remainder first, then the larger weight, then the smaller key.
    remainders.sort(key=lambda item: (-item[0], -item[1], item[2]))
    for _remainder, _weight, key in remainders[:left]:
        parts[key] += 1
    return parts


def share_of(amount_minor: int, share: Fraction) -> int:
    """``amount × share`` rounded down to a whole minor unit (never above it)."""
    return amount_minor * share.numerator // share.denominator
