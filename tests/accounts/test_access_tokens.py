"""The account page's access tokens: make one (shown once), list, revoke."""

from __future__ import annotations

import pytest
from django.test import Client

from ondas.accounts.access_tokens import access_token_authenticate, access_token_digest
from ondas.accounts.errors import AccessTokenInvalid
from ondas.accounts.models import AccessToken, User
from ondas.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_making_a_token_shows_the_secret_once_and_stores_its_hash(
    signed_in: Client, user: User
) -> None:
    response = signed_in.post(
        "/account/tokens/", {"name": "Car", "scope": "write"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    secret = response.context["secret"]
    token = AccessToken.objects.get(user=user)
    assert secret.startswith("ondas_")
    assert token.digest == access_token_digest(secret)
    assert secret not in signed_in.get("/account/").content.decode()
    assert token.scope == AccessToken.Scope.WRITE


def test_the_account_page_lists_tokens_with_their_last_use_in_spanish(
    signed_in: Client, user: User
) -> None:
    signed_in.post("/account/tokens/", {"name": "Tele", "scope": "read"})

    page = signed_in.get("/account/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Tokens de acceso para apps" in page
    assert "Tele" in page
    assert "Nunca" in page  # not used yet
    assert "Solo lectura" in page


def test_revoking_a_token_refuses_it(signed_in: Client, user: User) -> None:
    made = signed_in.post("/account/tokens/", {"name": "Old", "scope": "read"})
    secret = made.context["secret"]
    token = AccessToken.objects.get(user=user)
    assert access_token_authenticate(secret=secret, now=clock.now()) == token

    signed_in.post(f"/account/tokens/{token.pk}/revoke/")

    token.refresh_from_db()
    assert token.revoked_at is not None
    with pytest.raises(AccessTokenInvalid):
        access_token_authenticate(secret=secret, now=clock.now())


def test_someone_elses_token_cannot_be_revoked(signed_in: Client, db: None) -> None:
    other = User.objects.create_user("otra@example.com", "another long pass")
    other_client = Client()
    other_client.force_login(other)
    other_client.post("/account/tokens/", {"name": "Hers", "scope": "read"})
    token = AccessToken.objects.get(user=other)

    response = signed_in.post(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_without_a_name_is_refused(signed_in: Client, user: User) -> None:
    response = signed_in.post("/account/tokens/", {"name": " ", "scope": "read"})

    assert response.status_code == 302
    assert not AccessToken.objects.exists()
