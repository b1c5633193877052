"""Fixtures of the API's tests: tokens made by the service the account page uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from ondas.accounts.access_tokens import access_token_create
from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.core import clock


@pytest.fixture(autouse=True)
def _english_and_fresh_limits() -> Iterator[None]:
    cache.clear()  # the rate limit's counters
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def throttle_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """The rate limit's clock held at one moment (the middle of a window), so
    a test's requests cannot straddle two fixed windows and each get a fresh
    count (a request with a password takes a while)."""
    moment = 1_800_000_030.0
    monkeypatch.setattr("ondas.api.throttle.time.time", lambda: moment)
    return moment


@pytest.fixture
def catalog(demo_catalog: Show) -> Show:
    return demo_catalog


def token_for(user: User, scope: str) -> str:
    return access_token_create(
        user=user, name=f"{scope} app", scope=scope, now=clock.now()
    ).secret


@pytest.fixture
def read_token(demo_subscriber: User) -> str:
    return token_for(demo_subscriber, "read")


@pytest.fixture
def write_token(demo_subscriber: User) -> str:
    return token_for(demo_subscriber, "write")


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def api() -> Client:
    return Client()
