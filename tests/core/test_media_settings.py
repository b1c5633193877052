"""ONDAS_MEDIA_STORAGE and ONDAS_S3_*: what each choice needs, said plainly."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from ondas.core.media_settings import media_storages

S3_ENV = {
    "ONDAS_S3_ENDPOINT_URL": "https://objects.example:9000/",
    "ONDAS_S3_BUCKET": "ondas-media",
    "ONDAS_S3_ACCESS_KEY_ID": "key",
    "ONDAS_S3_SECRET_ACCESS_KEY": "secret",
}


def test_media_storages_with_nothing_set_is_local_disk_only() -> None:
    storages = media_storages(environ={}, choice="local")

    assert set(storages) == {"local", "default"}
    assert storages["default"] == storages["local"]
    assert storages["local"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_media_storages_s3_chosen_puts_new_uploads_in_the_bucket() -> None:
    storages = media_storages(environ=S3_ENV, choice="s3")

    options = storages["s3"]["OPTIONS"]
    assert storages["default"] is storages["s3"]
    assert storages["s3"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "ondas-media"
    assert options["endpoint_url"] == "https://objects.example:9000"
    assert options["region_name"] == "us-east-1"  # unset region: the usual default
    assert options["addressing_style"] == "path"


def test_media_storages_local_with_s3_set_keeps_the_bucket_for_migration() -> None:
    storages = media_storages(
        environ=S3_ENV | {"ONDAS_S3_REGION": "garage"}, choice="local"
    )

    assert storages["default"] is storages["local"]
    assert storages["s3"]["OPTIONS"]["region_name"] == "garage"


@pytest.mark.parametrize(
    ("environ", "choice", "message"),
    [
        (
            {},
            "s3",
            "ONDAS_MEDIA_STORAGE=s3 needs ONDAS_S3_ENDPOINT_URL, ONDAS_S3_BUCKET",
        ),
        (
            {"ONDAS_S3_BUCKET": "b"},
            "local",
            "configured only in part: set ONDAS_S3_ENDPOINT_URL, "
            "ONDAS_S3_ACCESS_KEY_ID, ONDAS_S3_SECRET_ACCESS_KEY too",
        ),
        (
            S3_ENV | {"ONDAS_S3_SECRET_ACCESS_KEY": ""},
            "s3",
            "set ONDAS_S3_SECRET_ACCESS_KEY too",
        ),
        (
            S3_ENV | {"ONDAS_S3_ENDPOINT_URL": "objects.example"},
            "s3",
            "must be an http:// or https:// URL",
        ),
        ({}, "minio", "ONDAS_MEDIA_STORAGE must be local or s3, not 'minio'"),
    ],
)
def test_media_storages_incomplete_or_wrong_raises_improperly_configured(
    environ: dict[str, str], choice: str, message: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        media_storages(environ=environ, choice=choice)
    assert message in str(raised.value)
