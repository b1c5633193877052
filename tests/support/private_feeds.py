"""Subscribers with private feeds, made through the services the product uses."""

from __future__ import annotations

from ondas.accounts.models import User
from ondas.billing.models import Plan
from ondas.catalog.models import Show
from ondas.core import clock
from ondas.feedkeys.models import PrivateFeedKey
from ondas.feedkeys.services import feed_key_create
from tests.support.billing import premium_plan_make, subscribe

__all__ = ["exclusive_plan_make", "key_make", "subscribe"]


def exclusive_plan_make() -> Plan:
    """A monthly plan with the exclusive shows and no trial: paid at once."""
    return premium_plan_make(trial_days=0)


def key_make(user: User, show: Show) -> tuple[PrivateFeedKey, str]:
    """The person's private feed of the show, and its token."""
    key = feed_key_create(user=user, show=show, now=clock.now())
    token = key.token()
    assert token is not None
    return key, token
