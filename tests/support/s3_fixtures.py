"""pytest fixtures over the moto S3 server (``tests.support.s3``)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from ondas.core.media_settings import media_storages
from tests.support.s3 import BUCKET, S3Server, moto_s3_server


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with tempfile.TemporaryDirectory(prefix="ondas-moto-") as directory:
        with moto_s3_server(Path(directory) / "moto.log") as server:
            yield server


@pytest.fixture
def s3(settings: Settings, s3_server: S3Server) -> Iterator[S3Server]:
    """New uploads go to an empty test bucket (ONDAS_MEDIA_STORAGE=s3)."""
    settings.ONDAS_MEDIA_STORAGE = "s3"
    settings.STORAGES = {
        **media_storages(environ=s3_server.env, choice="s3"),
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    yield s3_server
    client = s3_server.client()
    for key in s3_server.keys():
        client.delete_object(Bucket=BUCKET, Key=key)


@pytest.fixture
def s3_beside_local(settings: Settings, s3: S3Server) -> S3Server:
    """The bucket is configured, new uploads still go to local disk."""
    settings.ONDAS_MEDIA_STORAGE = "local"
    settings.STORAGES = {
        **media_storages(environ=s3.env, choice="local"),
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    return s3
