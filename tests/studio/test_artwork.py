"""Artwork by Apple's rule, on images Pillow makes: each problem named, and a
conforming copy made of an image that is only too big, not square or not RGB."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ondas.studio.uploads.artwork import artwork_check, artwork_fit
from ondas.studio.uploads.errors import ArtworkRefused


def _image(size: tuple[int, int], *, mode: str = "RGB", fmt: str = "PNG") -> io.BytesIO:
    out = io.BytesIO()
    color: object = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    if mode in ("L", "P"):
        color = 120
    Image.new(mode, size, color).save(out, format=fmt)  # type: ignore[arg-type]
    out.seek(0)
    return out


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_square_rgb_image_in_range_is_accepted(fmt: str) -> None:
    info = artwork_check(fileobj=_image((1400, 1400), fmt=fmt))

    assert (info.width, info.height) == (1400, 1400)
    assert info.mime_type == {"PNG": "image/png", "JPEG": "image/jpeg"}[fmt]


@pytest.mark.parametrize(
    ("image", "problems", "can_fit"),
    [
        (
            lambda: _image((1200, 1200)),
            ["The image is 1200x1200; the minimum is 1400x1400."],
            False,
        ),
        (
            lambda: _image((4000, 4000), fmt="JPEG"),
            ["The image is 4000x4000; the maximum is 3000x3000."],
            True,
        ),
        (
            lambda: _image((2000, 1500)),
            ["The image is 2000x1500; artwork must be square."],
            True,
        ),
        (
            lambda: _image((1500, 1500), mode="RGBA"),
            ["The image's colours are RGBA; artwork must be RGB (no transparency)."],
            True,
        ),
        (
            lambda: _image((1500, 1500), fmt="GIF", mode="P"),
            [
                "The image is GIF; artwork must be JPEG or PNG.",
                "The image's colours are P; artwork must be RGB (no transparency).",
            ],
            True,
        ),
        (
            lambda: _image((1000, 800), mode="L"),
            [
                "The image's colours are L; artwork must be RGB (no transparency).",
                "The image is 1000x800; artwork must be square.",
                "The image is 1000x800; the minimum is 1400x1400.",
            ],
            False,
        ),
        (
            lambda: io.BytesIO(b"%PDF-1.4 not an image"),
            ["The file is not an image Ondas can read; upload a JPEG or PNG."],
            False,
        ),
    ],
)
def test_each_problem_of_an_image_is_named(
    image: object, problems: list[str], can_fit: bool
) -> None:
    with pytest.raises(ArtworkRefused) as refused:
        artwork_check(fileobj=image())  # type: ignore[operator]

    assert refused.value.problems == problems
    assert refused.value.can_fit is can_fit
    assert refused.value.code == "artwork_refused"


def test_fit_crops_a_wide_image_to_its_centre_square() -> None:
    source = Image.new("RGB", (2400, 1600), (0, 0, 255))
    source.paste((255, 0, 0), (400, 0, 2000, 1600))  # the centre 1600 px are red
    out = io.BytesIO()
    source.save(out, format="PNG")
    out.seek(0)

    fitted = artwork_fit(fileobj=out)

    assert (fitted.side, fitted.mime_type) == (1600, "image/png")
    image = Image.open(io.BytesIO(fitted.content))
    assert image.size == (1600, 1600)
    assert image.getpixel((0, 0)) == (255, 0, 0)
    assert image.getpixel((1599, 1599)) == (255, 0, 0)
    artwork_check(fileobj=io.BytesIO(fitted.content))


def test_fit_scales_a_large_image_down_and_makes_it_rgb() -> None:
    fitted = artwork_fit(fileobj=_image((3600, 4200), mode="RGBA"))

    assert fitted.side == 3000
    info = artwork_check(fileobj=io.BytesIO(fitted.content))
    assert (info.width, info.height) == (3000, 3000)


def test_fit_never_enlarges_a_small_image() -> None:
    with pytest.raises(ArtworkRefused) as refused:
        artwork_fit(fileobj=_image((1300, 2000)))

    assert refused.value.problems == [
        "The image is 1300x2000; the minimum is 1400x1400."
    ]
