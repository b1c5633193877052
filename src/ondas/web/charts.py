"""Bar charts drawn on the server as inline SVG: no script, no library.

Each chart is an image with a name (``role="img"``, ``aria-label`` and a
``<title>``); every bar has a ``<title>`` of its own (its label and value, a
tooltip in browsers). The pages put the same numbers in a table beside each
chart, which is what screen readers and the CSV read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

HEIGHT = 160  # the bars' area, in SVG units
TOP = 14  # room for the top value's label
LEFT = 40  # room for the axis' values
LABEL_ROOM = 70  # under the bars, for labels on the axis
MAX_LABEL = 18  # characters of a label written on the axis


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(
    *,
    title: str,
    bars: Sequence[Bar],
    step: float = 6,
    labels_on_axis: bool = False,
) -> SafeString:
    """An SVG bar chart of ``bars``, left to right, one ``<rect>`` each (zeros
    too, at no height). With ``labels_on_axis``, each bar's label is written
    under it, slanted (for a few bars with words, such as chapter titles)."""
    top_value = max((bar.value for bar in bars), default=0)
    scale = HEIGHT / top_value if top_value else 0.0
    bottom = TOP + HEIGHT
    width = LEFT + max(len(bars), 1) * step + 10
    height = bottom + (LABEL_ROOM if labels_on_axis else 6)
    name = escape(title)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{name}" viewBox="0 0 {_number(width)} {height}" '
        f'preserveAspectRatio="xMinYMin meet"><title>{name}</title>',
        f'<line class="chart__axis" x1="{LEFT}" y1="{bottom}" '
        f'x2="{_number(width - 5)}" y2="{bottom}"/>',
        f'<text class="chart__value" x="{LEFT - 4}" y="{bottom}" '
        f'text-anchor="end">0</text>',
    ]
    if top_value:
        parts.append(
            f'<text class="chart__value" x="{LEFT - 4}" y="{TOP + 4}" '
            f'text-anchor="end">{top_value}</text>'
        )
    bar_width = max(step * 0.8, 1)
    for n, bar in enumerate(bars):
        x = LEFT + n * step + (step - bar_width) / 2
        tall = bar.value * scale
        label = escape(bar.label)
        parts.append(
            f'<rect class="chart__bar" x="{_number(x)}" y="{_number(bottom - tall)}" '
            f'width="{_number(bar_width)}" height="{_number(tall)}">'
            f"<title>{label}: {bar.value}</title></rect>"
        )
        if labels_on_axis:
            middle = _number(x + bar_width / 2)
            parts.append(
                f'<text class="chart__label" x="{middle}" y="{bottom + 12}" '
                f'text-anchor="end" transform="rotate(-35 {middle} {bottom + 12})">'
                f"{escape(_short(bar.label))}</text>"
            )
    parts.append("</svg>")
    # Every piece of text above went through escape().
    return mark_safe("".join(parts))  # noqa: S308
