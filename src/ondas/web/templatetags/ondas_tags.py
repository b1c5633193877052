"""Presentation helpers for Ondas templates: times, language names, placeholders.

Filters here only format what a view already gave the template; they hold no
business rules and never touch the database.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

from django import template
from django.conf import settings
from django.core.paginator import Page
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _

from ondas.core.timefmt import format_clock, parse_clock

register = template.Library()

# Languages whose style writes language names in lowercase.
LOWERCASE_LANGUAGE_NAMES = frozenset({"ca", "es", "fr", "gl", "it", "pt"})


@register.filter
def clock(seconds: float | int | None) -> str:
    """Render seconds as a clock time: 4:00, 39:39, 1:02:03."""
    return format_clock(float(seconds or 0))


@register.filter
def whole_seconds(seconds: float | int | None) -> str:
    """Render seconds as a plain integer for URLs and data attributes (720)."""
    return str(int(seconds or 0))


@register.filter
def duration_words(seconds: float | int | None) -> str:
    """Render a length as people say it: "48 min", "1 h 5 min"."""
    total_minutes = round(float(seconds or 0) / 60)
    if seconds and not total_minutes:
        total_minutes = 1  # a 20-second trailer is not "0 min"
    hours, minutes = divmod(total_minutes, 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def language_name(tag: str | None) -> str:
    """Name a BCP 47 tag's language in the active language ("en" → "inglés")."""
    if not tag:
        return ""
    primary = tag.split("-")[0].lower()
    try:
        name = str(get_language_info(primary)["name_translated"])
    except KeyError:
        # A language Django has no name for: the tag itself beats nothing.
        return tag
    # Django's catalogs capitalise language names as menu entries ("Inglés");
    # in running text these languages write them in lowercase ("inglés").
    if (get_language() or "").split("-")[0] in LOWERCASE_LANGUAGE_NAMES:
        return name.lower()
    return name


@register.filter
def placeholder_tone(text: str) -> int:
    """One of 12 colour tones (0–11) for artwork placeholders, stable for ``text``.

    A class per tone (in ondas.css), not an inline style, keeps the pages
    compatible with a strict Content-Security-Policy.
    """
    return zlib.crc32(str(text).encode("utf-8")) % 12


@register.filter
def initials(title: str) -> str:
    """Up to two initials of a title, for artwork placeholders."""
    letters = [
        next((c for c in word if c.isalnum()), "") for word in str(title).split()
    ]
    return "".join([c for c in letters if c][:2]).upper()


@register.simple_tag
def player_strings() -> dict[str, str]:
    """The player's words that change while it runs, for ``json_script``.

    Placeholders stay named (``%(title)s``); player.js fills them in.
    """
    return {
        "play": _("Play"),
        "pause": _("Pause"),
        "resumeAt": _("Resume at %(time)s"),
        "positionOf": _("%(elapsed)s of %(total)s"),
        "loadError": _("This episode cannot be played right now."),
    }


# The speeds the player offers; values are what player.js reads back.
PLAYER_SPEEDS = ("0.5", "0.75", "1", "1.25", "1.5", "1.75", "2", "2.5", "3")


# The player's markup in each language, made once per process: it is the same
# on every page for everyone, and rendering it was a third of the site's frame.
# A deploy starts new processes, so new markup is never mixed with old.
_PLAYER_MARKUP: dict[str, SafeString] = {}


@register.simple_tag
def player_markup() -> SafeString:
    """The web player's markup (``ondas/_player.html``) in the current language."""
    language = get_language() or settings.LANGUAGE_CODE
    markup = None if settings.DEBUG else _PLAYER_MARKUP.get(language)
    if markup is None:
        # Our own template, which escapes what it shows.
        markup = mark_safe(render_to_string("ondas/_player.html"))  # noqa: S308
        _PLAYER_MARKUP[language] = markup
    return markup


@register.simple_tag
def player_speeds() -> list[tuple[str, str]]:
    """(value, label) pairs for the speed menu; labels use the locale's decimals."""
    return [
        # Translators: a playback speed such as "1.5×" ("times normal speed").
        (value, _("%(speed)s×") % {"speed": number_format(Decimal(value))})
        for value in PLAYER_SPEEDS
    ]


@register.filter
def start_param(value: str | None) -> str:
    """Read a ``?t=`` value ("720" or "12:00") as whole seconds; "" if unreadable."""
    try:
        return str(parse_clock(value or ""))
    except ValueError:
        return ""


@register.simple_tag
def page_links(page: Page[object]) -> list[int | str]:
    """Page numbers around the current one, with "…" where some are left out."""
    return list(
        page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    )


@register.simple_tag
def error_heading(status: int) -> str:
    """The heading of an error page for an HTTP status."""
    if status == 404:
        return _("Page not found")
    if status >= 500:
        return _("Something went wrong on our side")
    return _("We could not complete that request")
