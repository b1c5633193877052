"""People with each role on a studio show, and the show itself."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils.timezone import now as timezone_now
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Show
from ondas.catalog.services import (
    AudiobookPartInput,
    audio_file_create,
    audiobook_create,
)
from ondas.studio.models import Role
from ondas.studio.services.members import membership_grant
from ondas.studio.services.shows import ShowInput, show_create_in_studio
from tests.accounts.factories import user_make


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Every test here reads English messages."""


@pytest.fixture
def client(client: Client) -> Client:
    """A browser that chose English (the storefront's default is Spanish)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Settings) -> None:
    """Argon2 costs a second per person on this box; these tests sign in with
    force_login, so the hash only needs to exist."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Cast:
    owner: User
    editor: User
    analyst: User
    other_creator: User
    listener: User
    show: Show
    other_show: Show


def show_input(title: str = "Ondas en Vivo", **changes: object) -> ShowInput:
    values: dict[str, object] = {
        "title": title,
        "author": "Ana Pérez",
        "language": "es-MX",
        "description": "<p>Charlas sobre servidores.</p>",
    }
    values.update(changes)
    return ShowInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def cast(db: None) -> Cast:
    """A show with an owner, an editor and an analyst; another creator with a
    show of their own; a listener with nothing."""
    owner = user_make(email="owner@example.com", role=User.Role.CREATOR)
    editor = user_make(email="editor@example.com")
    analyst = user_make(email="analyst@example.com")
    other = user_make(email="other@example.com", role=User.Role.CREATOR)
    listener = user_make(email="listener@example.com")
    show = show_create_in_studio(data=show_input(), acting_user=owner)
    membership_grant(target=show, user=editor, role=Role.EDITOR)
    membership_grant(target=show, user=analyst, role=Role.ANALYST)
    other_show = show_create_in_studio(data=show_input("Otra Cosa"), acting_user=other)
    return Cast(owner, editor, analyst, other, listener, show, other_show)


def audiobook_make(title: str = "Libro de Prueba") -> Audiobook:
    """A one-part book, through the catalog's services."""
    audio = audio_file_create(
        name="parte-1.mp3",
        content=io.BytesIO(b"ID3" + bytes(1024)),
        mime_type="audio/mpeg",
        duration_seconds=60,
    )
    return audiobook_create(
        title=title,
        authors="Ana Pérez",
        language="es",
        published_at=timezone_now(),
        parts=[AudiobookPartInput(audio=audio)],
    )


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
