"""Show artwork through the studio's form: Apple's rule, checked with Pillow,
stored through Django's storage API."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from ondas.catalog.models import Show
from tests.studio.conftest import Cast

pytestmark = pytest.mark.django_db


def _image(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 120).save(buffer, format=fmt)
    return buffer.getvalue()


def _form(artwork: SimpleUploadedFile) -> dict[str, object]:
    return {
        "title": "Con Portada",
        "author": "Ana",
        "language": "es",
        "default_access": "free",
        "artwork": artwork,
    }


def test_a_square_png_is_stored_and_replaces_the_old_one(
    client: Client,
    cast: Cast,
    media_root: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(cast.owner)
    url = f"/studio/shows/{cast.show.pk}/"
    first = SimpleUploadedFile("a.png", _image((1400, 1400)), "image/png")
    assert client.post(url, _form(first)).status_code == 302
    cast.show.refresh_from_db()
    old = cast.show.artwork.name
    assert (media_root / old).is_file()
    second = SimpleUploadedFile("b.jpg", _image((3000, 3000), "JPEG"), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, _form(second)).status_code == 302
    cast.show.refresh_from_db()
    assert cast.show.artwork.name.endswith(".jpg")
    assert (media_root / cast.show.artwork.name).is_file()
    assert not (media_root / old).exists()
    assert client.get(f"/shows/{cast.show.slug}/").status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "small.png",
            _image((1000, 1000)),
            "The image is 1000x1000; the minimum is 1400x1400.",
        ),
        (
            "wide.png",
            _image((1600, 1400)),
            "The image is 1600x1400; artwork must be square.",
        ),
        (
            "anim.gif",
            _image((1400, 1400), "GIF"),
            "The image is GIF; artwork must be JPEG or PNG.",
        ),
        (
            "cmyk.jpg",
            _image((1400, 1400), "JPEG", "CMYK"),
            "The image's colours are CMYK; artwork must be RGB (no transparency).",
        ),
        ("fake.png", b"%PDF-1.4 not an image", "Upload a valid image."),
    ],
)
def test_a_bad_image_is_refused_with_what_is_wrong_and_nothing_is_kept(
    client: Client,
    cast: Cast,
    media_root: Path,
    name: str,
    content: bytes,
    message: str,
) -> None:
    client.force_login(cast.owner)
    before = Show.objects.count()
    response = client.post(
        "/studio/shows/new/", _form(SimpleUploadedFile(name, content, "image/png"))
    )
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Show.objects.count() == before
    assert not list(media_root.rglob("*.*"))
