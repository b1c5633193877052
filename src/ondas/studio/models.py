"""The studio's models, one module per part of the studio."""

from ondas.studio.uploads.models import Upload

__all__ = ["Upload"]
