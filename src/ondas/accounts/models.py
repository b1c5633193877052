"""People: listeners, creators and staff, who sign in with their email address."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class OndasUserManager(UserManager["User"]):
    """Users are found and created by email; ``username`` mirrors it."""

    # Keep migrations free of app code (STYLE.md, migrations).
    use_in_migrations = False

    def _create_user_object(
        self,
        username: str | None,
        email: str | None,
        password: str | None,
        **extra: Any,
    ) -> User:
        email = self.normalize_email(email or username or "").lower()
        user = self.model(username=email, email=email, **extra)
        user.password = ""
        if password is not None:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra)
        user.save(using=self._db)
        return user

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.STAFF)
        extra.setdefault("email_verified_at", None)
        user = self._create_user_object(None, email, password, **extra)
        user.save(using=self._db)
        return user


class User(AbstractUser):
    class Role(models.TextChoices):
        LISTENER = "listener", _("Listener")
        CREATOR = "creator", _("Creator")
        STAFF = "staff", _("Staff")

    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(
        _("role"), max_length=16, choices=Role.choices, default=Role.LISTENER
    )
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[OndasUserManager] = OndasUserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.email
