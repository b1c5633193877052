"""Request types for views (here, not in core, because they name the User model)."""

from __future__ import annotations

from django.http import HttpRequest

from ondas.accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """A request behind ``login_required``: its user is signed in."""

    user: User
