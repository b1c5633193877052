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
    # Set when the person deletes their account: the row stays (billing's ledger
    # points at it) but its personal data is gone; see services.user_delete.
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[OndasUserManager] = OndasUserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.email

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_pending(self) -> bool:
        """Signed up, but the link that finishes the account was never opened.

        Such an account cannot sign in (it is inactive), so a sign-up followed
        by a sign-in cannot tell whether an address was free. An account an
        operator deactivated has signed in or been confirmed before; a deleted
        one has ``deleted_at``.
        """
        return (
            not self.is_active
            and self.deleted_at is None
            and self.last_login is None
            and self.email_verified_at is None
        )


class RateLimitEvent(models.Model):
    """One counted event (a failed sign-in, a verification email sent).

    Counting rows in the database makes a limit hold across every Gunicorn
    worker and every node. ``key`` is a keyed hash of the email address or the
    client IP, never the address itself; rows older than the longest window are
    purged as new ones are written (see ``ratelimit.py``).
    """

    class Scope(models.TextChoices):
        SIGN_IN_EMAIL = "sign_in_email", _("failed sign-in, by email")
        SIGN_IN_IP = "sign_in_ip", _("failed sign-in, by client address")
        VERIFICATION_EMAIL = "verification_email", _("verification email sent")
        PASSWORD_RESET_EMAIL = "password_reset_email", _("password reset, by email")
        PASSWORD_RESET_IP = "password_reset_ip", _("password reset, by client address")
        SIGN_UP_EMAIL = "sign_up_email", _("sign-up, by email")
        SIGN_UP_IP = "sign_up_ip", _("sign-up, by client address")
        DEVICE_CODE_USER = "device_code_user", _("wrong device code, by person")
        DEVICE_CODE_IP = "device_code_ip", _("wrong device code, by client address")

    scope = models.CharField(_("scope"), max_length=32, choices=Scope.choices)
    key = models.CharField(_("key"), max_length=64)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("rate limit event")
        verbose_name_plural = _("rate limit events")
        indexes = [
            models.Index(
                fields=["scope", "key", "created_at"], name="ratelimit_scope_key_time"
            ),
            models.Index(fields=["scope", "created_at"], name="ratelimit_scope_time"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.created_at:%Y-%m-%d %H:%M:%S}"


class RateWindowCount(models.Model):
    """How many requests one key made in one fixed window (the API's limit).

    One row per key and window, incremented in place by a single upsert
    (``ratelimit.window_hit``), so every worker and node that shares the
    database adds to the same count; windows that ended are purged by the
    schedule (``ops.jobs``).
    """

    key = models.CharField(_("key"), max_length=80)
    # The window's start, in seconds since the epoch.
    slot = models.BigIntegerField(_("window start"))
    hits = models.PositiveIntegerField(_("hits"), default=0)

    class Meta:
        verbose_name = _("rate window count")
        verbose_name_plural = _("rate window counts")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "slot"], name="ratewindow_key_slot_unique"
            )
        ]
        indexes = [models.Index(fields=["slot"], name="ratewindow_slot")]

    def __str__(self) -> str:
        return f"{self.key} @{self.slot}: {self.hits}"


class AccessToken(models.Model):
    """A personal access token an app signs in with (``Authorization: Bearer``).

    Only the SHA-256 of the secret is stored: the secret is shown once, when it
    is made (``access_tokens.access_token_create``). ``prefix`` (the secret's
    first characters) lets the person tell their tokens apart.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(_("name"), max_length=64)
    scope = models.CharField(
        _("scope"), max_length=8, choices=Scope.choices, default=Scope.READ
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects: ClassVar[models.Manager[AccessToken]] = models.Manager()

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def may_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class DeviceAuthorization(models.Model):
    """An app's request to sign in by a code (OAuth 2.0 device grant, RFC 8628).

    The app holds the long ``device_code``; the person types the short
    ``user_code`` on ``/device/``. Neither is stored: ``device_digest`` is the
    SHA-256 of the device code (256 random bits), ``user_digest`` a keyed
    hash (HMAC with SECRET_KEY) of the user code, which is short enough that
    a plain hash could be reversed by trying every code. Approved, it becomes
    one ordinary ``AccessToken`` when the app next polls, and is spent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")
        SPENT = "spent", _("Token issued")

    client_id = models.CharField(_("app"), max_length=64)
    scope = models.CharField(
        _("scope"), max_length=8, choices=AccessToken.Scope.choices
    )
    device_digest = models.CharField(max_length=64, unique=True, editable=False)
    user_digest = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING
    )
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="device_authorizations",
    )
    token = models.ForeignKey(
        AccessToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    interval = models.PositiveSmallIntegerField(default=5)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_polled_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[DeviceAuthorization]] = models.Manager()

    class Meta:
        verbose_name = _("device sign-in")
        verbose_name_plural = _("device sign-ins")
        indexes = [models.Index(fields=["expires_at"], name="device_auth_expiry")]

    def __str__(self) -> str:
        return f"{self.client_id} ({self.status})"
