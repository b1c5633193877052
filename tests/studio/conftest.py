"""Uploads land in a temporary area of each test's own, beside its media folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from tests.accounts.factories import user_make


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Every test here reads messages in English (one checks the Spanish)."""


@pytest.fixture(autouse=True)
def upload_dir(settings: Settings, tmp_path: Path) -> Path:
    directory = tmp_path / "uploads"
    settings.ONDAS_UPLOAD_TEMP_DIR = directory
    return directory


@pytest.fixture
def creator(db: None) -> User:
    return user_make(email="creator@example.com")


@pytest.fixture
def other_creator(db: None) -> User:
    return user_make(email="other@example.com")
