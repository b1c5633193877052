"""Private feed keys: a subscriber's credential for their own feed of a show.

A key is a credential, not a right: every request made with one asks billing
whether its person may listen now (``billing.selectors.listening_rights``).
The tables moved here from billing (``feedkeys/0001``); the constraint and
index names they had there are kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ondas.feedkeys.tokens import token_recover


class PrivateFeedKey(models.Model):
    """A subscriber's key to their private feed of one show.

    The token in the feed's address (and in each of its enclosures) is
    ``HMAC-SHA256(a key derived from SECRET_KEY, seed)``, base64url, 256 bits
    (``tokens.token_derive``). Stored: the random ``seed`` (256 bits) and
    ``token_hash``, the SHA-256 of the token, which requests look the key up
    by. The token itself is never stored, so a copy of the database alone
    gives no working address; Ondas derives it again to show it on the
    account page. If SECRET_KEY is rotated (and the old one is not kept in
    SECRET_KEY_FALLBACKS), addresses already handed out keep working — the
    lookup needs no secret — but the account page can no longer show the
    address and asks the subscriber to regenerate it.

    At most one live key per person and show; regenerating revokes the live
    key (it stops working at once) and makes a new one. A key is a credential,
    not a right: every request through it asks billing whether its person may
    listen now.
    """

    class Origin(models.TextChoices):
        CREATED = "created", _("Created")
        REGENERATED = "regenerated", _("Regenerated")
        RESET_SHARED = "reset_shared", _("Reset after sharing")
        STAFF_REPLACED = "staff_replaced", _("Replaced by staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="private_feed_keys",
    )
    show = models.ForeignKey(
        "catalog.Show", on_delete=models.CASCADE, related_name="private_feed_keys"
    )
    seed = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Used from more networks or apps in a day than one person's devices.
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "show"],
                condition=Q(revoked_at__isnull=True),
                name="billing_one_live_feed_key",
            )
        ]

    def __str__(self) -> str:
        return f"private feed {self.pk} ({self.user_id}, {self.show_id})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    def token(self) -> str | None:
        """The token of this key, derived again; None if SECRET_KEY changed since."""
        return token_recover(self.seed, self.token_hash)


class PrivateFeedKeyUse(models.Model):
    """A network or app a key was used from on one day, as a keyed digest.

    One row per (key, day, kind, digest); rows older than
    ``FEED_KEY_USE_DAYS_KEPT`` days are pruned.
    """

    class Kind(models.TextChoices):
        NETWORK = "network", _("Network")
        APP = "app", _("App")

    key = models.ForeignKey(
        PrivateFeedKey, on_delete=models.CASCADE, related_name="uses"
    )
    day = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "day", "kind", "digest"], name="billing_feed_key_use"
            )
        ]
        indexes = [models.Index(fields=["day"], name="billing_feed_key_use_day")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.day} {self.kind}"
