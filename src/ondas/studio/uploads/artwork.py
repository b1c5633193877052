"""Show and episode artwork by Apple's rule: JPEG or PNG, RGB, square, 1400 to
3000 pixels a side. ``artwork_check`` names every problem of an image;
``artwork_fit`` makes a conforming copy of one that is only too big, not
square or not RGB (it never enlarges: a small image stays refused)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from ondas.studio.uploads.errors import ArtworkRefused

MIN_SIDE = 1400
MAX_SIDE = 3000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class ArtworkInfo:
    width: int
    height: int
    mime_type: str


@dataclass(frozen=True)
class FittedArtwork:
    content: bytes
    mime_type: str
    side: int


def _open(fileobj: BinaryIO) -> Image.Image:
    fileobj.seek(0)
    try:
        image = Image.open(fileobj)
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise ArtworkRefused(
            problems=[
                _("The file is not an image Ondas can read; upload a JPEG or PNG.")
            ],
            can_fit=False,
        ) from None
    return image


def artwork_check(*, fileobj: BinaryIO) -> ArtworkInfo:
    """Check an image against the artwork rules.

    Raises ArtworkRefused listing each problem; ``can_fit`` says whether
    ``artwork_fit`` can make a conforming copy.
    """
    image = _open(fileobj)
    width, height = image.size
    problems: list[str] = []
    if image.format not in FORMATS:
        problems.append(
            _("The image is %(format)s; artwork must be JPEG or PNG.")
            % {"format": image.format or _("of an unknown kind")}
        )
    if image.mode != "RGB":
        problems.append(
            _(
                "The image's colours are %(mode)s; artwork must be RGB (no transparency)."
            )
            % {"mode": image.mode}
        )
    if width != height:
        problems.append(
            _("The image is %(width)sx%(height)s; artwork must be square.")
            % {"width": width, "height": height}
        )
    if min(width, height) < MIN_SIDE:
        problems.append(
            _("The image is %(width)sx%(height)s; the minimum is %(min)sx%(min)s.")
            % {"width": width, "height": height, "min": MIN_SIDE}
        )
    elif max(width, height) > MAX_SIDE:
        problems.append(
            _("The image is %(width)sx%(height)s; the maximum is %(max)sx%(max)s.")
            % {"width": width, "height": height, "max": MAX_SIDE}
        )
    if problems:
        raise ArtworkRefused(problems=problems, can_fit=min(width, height) >= MIN_SIDE)
    return ArtworkInfo(
        width=width, height=height, mime_type=FORMATS[image.format or ""]
    )


def artwork_fit(*, fileobj: BinaryIO) -> FittedArtwork:
    """A copy of the image cropped to its centre square, scaled down to at most
    3000 px and in RGB, as JPEG (PNG stays PNG).

    Raises ArtworkRefused when the image is unreadable or smaller than 1400 px
    on its short side (enlarging would only blur it).
    """
    image = _open(fileobj)
    width, height = image.size
    side = min(width, height)
    if side < MIN_SIDE:
        raise ArtworkRefused(
            problems=[
                _("The image is %(width)sx%(height)s; the minimum is %(min)sx%(min)s.")
                % {"width": width, "height": height, "min": MIN_SIDE}
            ],
            can_fit=False,
        )
    source_format = image.format
    left, top = (width - side) // 2, (height - side) // 2
    fitted = image.convert("RGB").crop((left, top, left + side, top + side))
    if side > MAX_SIDE:
        fitted = fitted.resize((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        side = MAX_SIDE
    out = io.BytesIO()
    if source_format == "PNG":
        fitted.save(out, format="PNG", optimize=True)
        mime_type = FORMATS["PNG"]
    else:
        fitted.save(out, format="JPEG", quality=90, optimize=True)
        mime_type = FORMATS["JPEG"]
    return FittedArtwork(content=out.getvalue(), mime_type=mime_type, side=side)
