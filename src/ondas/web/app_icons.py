"""Ondas's app icons as PNG, drawn with Pillow from the mark in ``icon.svg``.

The PNGs under ``static/ondas/icons/`` are made by ``scripts/make_icons.py``
with this module and committed (nginx serves them like any static file);
tests/web/test_pwa.py checks that they match what this module draws.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

ACCENT = (0x0E, 0x70, 0x65, 255)
WHITE = (255, 255, 255, 255)
# The wave of icon.svg on its 32-unit grid: "M6 17c2.5-6 5-6 7.5 0s5 6 7.5 0
# 3.5-4 5-2" written out as three cubic Bézier segments (the "s" ones with
# their reflected first control points).
_WAVE = (
    ((6.0, 17.0), (8.5, 11.0), (11.0, 11.0), (13.5, 17.0)),
    ((13.5, 17.0), (16.0, 23.0), (18.5, 23.0), (21.0, 17.0)),
    ((21.0, 17.0), (23.5, 11.0), (24.5, 13.0), (26.0, 15.0)),
)
_STROKE = 3.0
_RADIUS = 9.0
_SUPERSAMPLE = 4
_STEPS = 240

# name -> (pixels, maskable): maskable icons fill the square (the platform
# crops them) and keep the mark inside the central safe circle.
ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "icon-maskable-512.png": (512, True),
    "apple-touch-icon.png": (180, True),
}


def _bezier(
    p0: tuple[float, float],
    p1: tuple[float, float],
    p2: tuple[float, float],
    p3: tuple[float, float],
    t: float,
) -> tuple[float, float]:
    u = 1 - t
    x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
    y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
    return x, y


def icon_image(size: int, *, full_bleed: bool) -> Image.Image:
    """The mark at ``size`` pixels square: rounded corners, or full bleed."""
    big = size * _SUPERSAMPLE
    unit = big / 32
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if full_bleed:
        draw.rectangle((0, 0, big, big), fill=ACCENT)
        scale, offset = 0.7 * unit, 0.15 * big  # inside the 80 % safe circle
    else:
        draw.rounded_rectangle(
            (0, 0, big - 1, big - 1), radius=_RADIUS * unit, fill=ACCENT
        )
        scale, offset = unit, 0.0
    half = _STROKE * scale / 2
    # A round-capped, round-joined stroke: a disc at every step of the curve.
    for segment in _WAVE:
        for step in range(_STEPS + 1):
            x, y = _bezier(*segment, step / _STEPS)
            cx, cy = offset + x * scale, offset + y * scale
            draw.ellipse((cx - half, cy - half, cx + half, cy + half), fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def icon_png(name: str) -> bytes:
    """The bytes of the icon file ``name`` (a key of ``ICONS``)."""
    size, full_bleed = ICONS[name]
    out = io.BytesIO()
    icon_image(size, full_bleed=full_bleed).save(out, format="PNG", optimize=True)
    return out.getvalue()
