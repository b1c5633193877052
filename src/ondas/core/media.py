"""Where media bytes live: local disk or an S3-compatible bucket, per file.

``settings.STORAGES`` always has ``local`` (``MEDIA_ROOT``), ``s3`` when the
``ONDAS_S3_*`` variables are set (``media_storages``), and ``default``: the one
``ONDAS_MEDIA_STORAGE`` chooses, where new uploads go. A file field whose
rows say which storage holds their bytes (``RowStorageFileField``) opens,
saves and deletes through that storage, so one migration can move files one
by one (``ops.storage``) while every row keeps being served from where its
bytes are.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models.fields.files import FieldFile

from ondas.core.media_settings import LOCAL, S3, STORAGE_NAMES

__all__ = ["LOCAL", "S3", "STORAGE_NAMES"]


def storage_for(name: str) -> Storage:
    """The storage called ``name`` (``local`` or ``s3``) in ``settings.STORAGES``.

    Raises ImproperlyConfigured for ``s3`` when S3 is not configured: a row
    that says its bytes are in a bucket cannot be read without one.
    """
    if name not in settings.STORAGES:
        raise ImproperlyConfigured(
            f"A file is kept in {name!r} storage, which is not configured "
            "(ONDAS_S3_* variables)"
        )
    return storages[name]


def current_media_storage() -> str:
    """Where new uploads go: ``ONDAS_MEDIA_STORAGE`` (the rows' default)."""
    return str(settings.ONDAS_MEDIA_STORAGE)


class RowStorageFieldFile(FieldFile):
    """A stored file that opens, saves and deletes through its row's storage."""

    def __init__(
        self, instance: models.Model, field: models.FileField, name: str | None
    ) -> None:
        super().__init__(instance, field, name)
        self.storage = self._row_storage()

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.storage = self._row_storage()

    def _row_storage(self) -> Storage:
        attname = getattr(self.field, "storage_attname", "storage")
        return storage_for(getattr(self.instance, attname, None) or LOCAL)


class RowStorageFileField(models.FileField):
    """A FileField whose row names its storage in the ``storage`` column."""

    attr_class = RowStorageFieldFile
    storage_attname = "storage"
