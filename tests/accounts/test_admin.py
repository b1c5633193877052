"""The people admin: adding and editing keep the email rules; roles go through the service."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ondas.accounts.models import User
from tests.accounts.factories import PASSWORD, user_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root@example.com", PASSWORD))
    return client


def test_admin_add_stores_the_email_lowercased_as_username(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": " New@Example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.username == "new@example.com"
    assert user.check_password(PASSWORD) is True


def test_admin_add_refuses_an_address_taken_in_another_case(
    admin_client: Client,
) -> None:
    user_make(email="ana@example.com")
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "ANA@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert (
        "An account with this email address already exists."
        in response.content.decode()
    )
    assert User.objects.filter(email__iexact="ana@example.com").count() == 1


def test_admin_change_of_email_updates_username_and_verification(
    admin_client: Client,
) -> None:
    user = user_make(email="ana@example.com")
    User.objects.filter(pk=user.pk).update(email_verified_at="2026-01-01T00:00:00Z")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "email": "Ana.New@example.com",
            "first_name": "Ana",
            "last_name": "",
            "is_active": "on",
            "groups": [],
            "user_permissions": [],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert (user.email, user.username) == ("ana.new@example.com", "ana.new@example.com")
    assert user.email_verified_at is None
    assert user.role == User.Role.LISTENER


def test_admin_action_changes_roles_through_the_service(
    admin_client: Client,
) -> None:
    user = user_make(email="ana@example.com")
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "make_creator", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.is_staff) == (User.Role.CREATOR, False)
