"""The studio's server-side bar charts (web.charts)."""

from __future__ import annotations

import re

from ondas.web.charts import Bar, bar_chart


def test_bar_chart_draws_one_bar_per_value_zeros_included() -> None:
    svg = bar_chart(title="Plays", bars=[Bar("a", 0), Bar("b", 4), Bar("c", 2)])

    heights = re.findall(r'<rect class="chart__bar"[^>]* height="([\d.]+)"', svg)
    assert heights == ["0", "160", "80"]
    assert svg.startswith('<svg class="chart"')
    assert 'role="img" aria-label="Plays"' in svg
    assert "<title>Plays</title>" in svg
    assert "<title>b: 4</title>" in svg


def test_bar_chart_escapes_every_label() -> None:
    svg = bar_chart(
        title='<b>"Plays"</b>',
        bars=[Bar("<script>alert(1)</script>", 1)],
        labels_on_axis=True,
    )

    assert "<script>" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: 1" in svg
    assert 'aria-label="&lt;b&gt;&quot;Plays&quot;&lt;/b&gt;"' in svg


def test_bar_chart_writes_short_labels_on_the_axis() -> None:
    svg = bar_chart(
        title="Reach",
        bars=[Bar("Intro", 3), Bar("A very long chapter title indeed", 1)],
        labels_on_axis=True,
    )

    labels = re.findall(r'<text class="chart__label"[^>]*>([^<]*)</text>', svg)
    assert labels == ["Intro", "A very long chapt…"]
    # The whole title stays in the bar's tooltip.
    assert "<title>A very long chapter title indeed: 1</title>" in svg


def test_bar_chart_of_nothing_is_an_empty_axis() -> None:
    svg = bar_chart(title="Nothing", bars=[])

    assert "chart__bar" not in svg
    assert 'class="chart__axis"' in svg
