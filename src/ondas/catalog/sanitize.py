"""What HTML a show or episode description may keep."""

from __future__ import annotations

import nh3

# What a show or episode description may keep: text structure and links.
ALLOWED_TAGS = {
    "p",
    "br",
    "a",
    "strong",
    "b",
    "em",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
}


def sanitize_html(html: str) -> str:
    """Return ``html`` with only harmless tags left; links open safely."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
