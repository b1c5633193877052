"""Shared request types for views."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest


class OndasHttpRequest(HttpRequest):
    user: AbstractBaseUser | AnonymousUser
