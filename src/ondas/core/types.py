"""Shared request types for views."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthedHttpRequest(HttpRequest):
    """A request behind ``login_required``: its user is signed in."""

    user: User
