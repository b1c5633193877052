"""Fixtures of the web face's tests that several files share."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from tests.web.numbers_data import NumbersCast, numbers_cast_make


@pytest.fixture
def numbers_cast(db: None, settings: Settings) -> NumbersCast:
    """A show with an owner, an editor, an analyst and a year of roll-ups;
    another creator's show; a listener with no role."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return numbers_cast_make()
