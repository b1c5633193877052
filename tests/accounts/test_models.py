import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError

from ondas.accounts.models import User

pytestmark = pytest.mark.django_db


def test_create_user_signs_in_by_lowercased_email() -> None:
    user = User.objects.create_user("Ana@Example.COM", "a long pass phrase")
    assert user.email == user.username == "ana@example.com"
    assert user.role == User.Role.LISTENER
    assert (
        authenticate(username="ana@example.com", password="a long pass phrase") == user
    )


def test_emails_are_unique() -> None:
    User.objects.create_user("ana@example.com", "x")
    with pytest.raises(IntegrityError):
        User.objects.create_user("ANA@example.com", "y")


def test_create_superuser_is_staff() -> None:
    admin = User.objects.create_superuser("ops@example.com", "secret words here")
    assert admin.is_staff is True
    assert admin.is_superuser is True
    assert admin.role == User.Role.STAFF
