"""Fixtures for account tests: English pages, quick hashing, people made through services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from tests.accounts.factories import PASSWORD, user_make

# A fixed, aware clock for services that take ``now``.
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def quick_hashing(settings: Settings) -> None:
    """Hash with MD5 in tests; test_argon2_is_the_hasher checks the real setting."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Every test here reads English messages."""


@pytest.fixture
def client(settings: Settings) -> Client:
    """A browser that picked English on the language switch."""
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return browser


@pytest.fixture
def csrf_client(settings: Settings) -> Client:
    """A browser whose POSTs are checked for a CSRF token, as in production."""
    browser = Client(enforce_csrf_checks=True)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return browser


@pytest.fixture
def user(db: None) -> User:
    return user_make(email="ana@example.com")


@pytest.fixture
def staff(db: None) -> User:
    return user_make(email="ops@example.com", role=User.Role.STAFF)


@pytest.fixture
def signed_in_client(client: Client, user: User) -> Client:
    assert client.login(username=user.email, password=PASSWORD)
    return client
