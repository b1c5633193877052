"""An upload in progress (or just finished): whose it is, how long it will be,
and where its bytes wait until they are checked and stored."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import AudioFile
from ondas.core.models import TimestampedModel


class Upload(TimestampedModel):
    """One tus upload. Its bytes sit in the temporary area (``temp_path``) until
    the last one arrives; then they are checked, moved into storage as an
    ``AudioFile`` and the row keeps a link to it until it expires."""

    # Unguessable, and the only name the client ever sees (the tus URL).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    length = models.PositiveBigIntegerField(_("length in bytes"))
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    declared_type = models.CharField(_("declared type"), max_length=100, blank=True)
    # Moved forward by every PATCH: an upload expires when it stops receiving.
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    audio = models.ForeignKey(
        AudioFile, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True)
                | models.Q(audio__isnull=False),
                name="studio_upload_completed_has_audio",
            )
        ]

    def __str__(self) -> str:
        return self.filename or str(self.id)

    @property
    def temp_path(self) -> Path:
        """Where the bytes received so far are kept."""
        return Path(settings.ONDAS_UPLOAD_TEMP_DIR) / f"{self.id.hex}.part"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
