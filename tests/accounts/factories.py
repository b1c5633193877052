"""People for tests, made through the services the product uses."""

from __future__ import annotations

from datetime import datetime

from ondas.accounts.models import User
from ondas.accounts.services import user_create, user_set_role

PASSWORD = "correct horse battery staple"


def user_make(
    *,
    email: str = "listener@example.com",
    password: str = PASSWORD,
    role: User.Role = User.Role.LISTENER,
    now: datetime | None = None,
) -> User:
    user = user_create(email=email, password=password, now=now)
    if role != User.Role.LISTENER:
        # Bootstrap: the first staff member is made the way `createsuperuser` would.
        admin = User.objects.filter(is_staff=True, is_active=True).first()
        if admin is None:
            admin = User.objects.create_superuser("root@example.com", PASSWORD)
        user = user_set_role(user=user, role=role, acting_user=admin)
    return user
