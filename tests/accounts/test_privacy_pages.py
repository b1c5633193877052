"""The privacy page and the account's data section, in Spanish and English."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import user_make

pytestmark = pytest.mark.django_db


def _client(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize(
    ("language", "heading", "salt"),
    [
        ("en", "Privacy: what Ondas counts, and for how long", "a random salt"),
        (
            "es",
            "Privacidad: qué cuenta Ondas, y durante cuánto tiempo",
            "sal aleatoria",
        ),
    ],
)
def test_privacy_page_renders_in_each_language(
    language: str, heading: str, salt: str
) -> None:
    response = _client(language).get(reverse("web:privacy"))
    body = response.content.decode()
    assert response.status_code == 200
    assert heading in body
    assert salt in body
    # Logged out: the way to the account, not its buttons.
    assert reverse("accounts:export") not in body


@pytest.mark.parametrize(
    ("language", "link"), [("en", "Privacy"), ("es", "Privacidad")]
)
def test_footer_links_the_privacy_page(language: str, link: str) -> None:
    body = _client(language).get(reverse("web:home")).content.decode()
    assert f'<a href="{reverse("web:privacy")}">{link}</a>' in body


@pytest.mark.parametrize(
    ("language", "download", "goes"),
    [
        ("en", "Download my data", "What goes"),
        ("es", "Descargar mis datos", "Lo que se elimina"),
    ],
)
def test_account_and_delete_pages_offer_the_export(
    language: str, download: str, goes: str
) -> None:
    client = _client(language)
    client.force_login(user_make())
    account = client.get(reverse("accounts:account")).content.decode()
    assert download in account
    assert reverse("accounts:export") in account
    delete = client.get(reverse("accounts:delete")).content.decode()
    assert goes in delete
    assert reverse("accounts:export") in delete
    privacy = client.get(reverse("web:privacy")).content.decode()
    assert reverse("accounts:delete") in privacy
