"""The media storages' settings, read from the environment (``settings.py``).

Kept apart from ``core.media`` so that settings import nothing of Django's
models.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

LOCAL = "local"
S3 = "s3"
STORAGE_NAMES = (LOCAL, S3)
S3_DELIVERY_MODES = ("proxy", "redirect")
_S3_REQUIRED = (
    "ONDAS_S3_ENDPOINT_URL",
    "ONDAS_S3_BUCKET",
    "ONDAS_S3_ACCESS_KEY_ID",
    "ONDAS_S3_SECRET_ACCESS_KEY",
)
_S3_ALL = (*_S3_REQUIRED, "ONDAS_S3_REGION")


def media_storages(
    *, environ: dict[str, str], choice: str
) -> dict[str, dict[str, Any]]:
    """``STORAGES`` entries for media: ``local``, ``s3`` if configured, ``default``.

    Raises ImproperlyConfigured for an unknown ``choice``, for S3 variables
    set only in part, and for ``s3`` chosen without them.
    """
    if choice not in STORAGE_NAMES:
        raise ImproperlyConfigured(
            f"ONDAS_MEDIA_STORAGE must be local or s3, not {choice!r}"
        )
    entries: dict[str, dict[str, Any]] = {
        # No location: it follows MEDIA_ROOT, also when a test changes it.
        LOCAL: {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    }
    given = [name for name in _S3_ALL if environ.get(name, "")]
    missing = [name for name in _S3_REQUIRED if not environ.get(name, "")]
    if given and missing:
        raise ImproperlyConfigured(
            "S3 media storage is configured only in part: set "
            + ", ".join(missing)
            + " too (or unset the ONDAS_S3_* variables)"
        )
    if choice == S3 and missing:
        raise ImproperlyConfigured("ONDAS_MEDIA_STORAGE=s3 needs " + ", ".join(missing))
    if not missing:
        endpoint = environ["ONDAS_S3_ENDPOINT_URL"].rstrip("/")
        if not endpoint.startswith(("http://", "https://")):
            raise ImproperlyConfigured(
                "ONDAS_S3_ENDPOINT_URL must be an http:// or https:// URL, "
                f"not {endpoint!r}"
            )
        entries[S3] = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": environ["ONDAS_S3_BUCKET"],
                "endpoint_url": endpoint,
                "access_key": environ["ONDAS_S3_ACCESS_KEY_ID"],
                "secret_key": environ["ONDAS_S3_SECRET_ACCESS_KEY"],
                "region_name": environ.get("ONDAS_S3_REGION", "") or "us-east-1",
                # Ceph RGW, Garage and most self-hosted stores answer paths
                # (endpoint/bucket/key); nginx proxies to one fixed host.
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
    entries["default"] = entries[choice]
    return entries
