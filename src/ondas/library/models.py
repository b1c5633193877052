"""A listener's library: the shows they follow."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Show


class Follow(models.Model):
    """A listener follows a show: it is on their "Your shows" page and in their OPML."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(_("followed since"))

    class Meta:
        verbose_name = _("follow")
        constraints = [
            models.UniqueConstraint(fields=["user", "show"], name="feeds_follow_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.show_id}"
