"""What the catalog keeps of text from outside: the HTML of a description, URLs."""

from __future__ import annotations

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

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


_url_validator = URLValidator(schemes=["http", "https"])


def clean_url(value: object, *, max_length: int) -> str:
    """Return ``value`` stripped if it is an http(s) URL of at most ``max_length``, else ""."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if not value or len(value) > max_length:
        return ""
    try:
        _url_validator(value)
    except ValidationError:
        return ""
    return value
