"""Who runs a show or a book in the studio, who was asked to, and who claims one.

A ``Membership`` gives one person one role on one show or one audiobook
(exactly one of the two). Owners may do everything, members and deletion
included; editors change content; analysts only read numbers. The services
keep at least one owner on every object that has members
(``services.members``).

An ``Invitation`` is the e-mail an owner sent: the link carries a signed token
(``studio.tokens``) naming the row, and the row says whether it was used or
revoked, so a token works once. A ``ShowClaim`` is a creator's request to own
an imported show: its token, put in the feed, proves control of it
(``services.claims``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Audiobook, Show
from ondas.core.models import TimestampedModel
from ondas.studio.uploads.models import Upload

__all__ = ["Invitation", "Membership", "Role", "ShowClaim", "Upload"]


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    EDITOR = "editor", _("Editor")
    ANALYST = "analyst", _("Analyst")


# Each role can do what the ones after it can.
ROLE_RANK: dict[str, int] = {Role.OWNER: 3, Role.EDITOR: 2, Role.ANALYST: 1}

_ONE_OBJECT = Q(show__isnull=False, audiobook__isnull=True) | Q(
    show__isnull=True, audiobook__isnull=False
)


class Membership(TimestampedModel):
    """One person's role on one show or one audiobook."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    show = models.ForeignKey(
        Show, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    audiobook = models.ForeignKey(
        Audiobook, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("studio member")
        verbose_name_plural = _("studio members")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=_ONE_OBJECT, name="studio_membership_one_object"
            ),
            models.UniqueConstraint(
                fields=["user", "show"],
                condition=Q(show__isnull=False),
                name="studio_membership_user_show",
            ),
            models.UniqueConstraint(
                fields=["user", "audiobook"],
                condition=Q(audiobook__isnull=False),
                name="studio_membership_user_book",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.show_id or self.audiobook_id}"

    @property
    def target(self) -> Show | Audiobook:
        """The show or the book this membership is of."""
        target = self.show or self.audiobook
        assert target is not None  # the check constraint
        return target

    def at_least(self, role: str) -> bool:
        """Whether this membership's role includes ``role``."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


class Invitation(TimestampedModel):
    """An owner's invitation, by e-mail, to a role on a show or an audiobook."""

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    show = models.ForeignKey(
        Show, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    audiobook = models.ForeignKey(
        Audiobook, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("studio invitation")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=_ONE_OBJECT, name="studio_invitation_one_object"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} of {self.show_id or self.audiobook_id}"

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.accepted_at is None and self.revoked_at is None


class ShowClaim(TimestampedModel):
    """A creator's request to own an imported show by proving control of its feed.

    The token goes in the feed's ``podcast:txt`` or description; a refresh that
    finds it there makes the creator an owner and records ``proven_at``.
    """

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    proven_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("show claim")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["show", "user"],
                condition=Q(proven_at__isnull=True),
                name="studio_showclaim_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"claim of {self.show_id} by {self.user_id}"
