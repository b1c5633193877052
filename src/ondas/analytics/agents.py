"""Which podcast app a download came from, by its ``User-Agent``: a short
table of our own, matched in order without case, first match wins.

An app's own name comes before the words it shares with others: Overcast,
Pocket Casts and Castro play through Apple's media stack and some send
``AppleCoreMedia`` beside their name; many apps send ``Mozilla/``. Only
what names no app is then Apple's player (``AppleCoreMedia``, the iOS and
macOS Podcasts app and what plays through it), a web browser (the Ondas web
player among them), or "other". The families are kept per show and day
(``DailyShowApps``), never the agents themselves.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppFamily(models.TextChoices):
    APPLE_PODCASTS = "apple", _("Apple Podcasts")
    SPOTIFY = "spotify", _("Spotify")
    OVERCAST = "overcast", _("Overcast")
    POCKET_CASTS = "pocketcasts", _("Pocket Casts")
    CASTRO = "castro", _("Castro")
    ANTENNAPOD = "antennapod", _("AntennaPod")
    PODCAST_ADDICT = "podcastaddict", _("Podcast Addict")
    GPODDER = "gpodder", _("gPodder")
    BROWSER = "browser", _("Web browser")
    OTHER = "other", _("Other apps")


# (substring of the lower-cased agent, family), in the order they are tried.
APP_MARKS: tuple[tuple[str, AppFamily], ...] = (
    ("overcast", AppFamily.OVERCAST),
    ("pocketcasts", AppFamily.POCKET_CASTS),
    ("pocket casts", AppFamily.POCKET_CASTS),
    ("castro", AppFamily.CASTRO),
    ("spotify", AppFamily.SPOTIFY),
    ("antennapod", AppFamily.ANTENNAPOD),
    ("podcastaddict", AppFamily.PODCAST_ADDICT),
    ("podcast addict", AppFamily.PODCAST_ADDICT),
    ("gpodder", AppFamily.GPODDER),
    ("applecoremedia", AppFamily.APPLE_PODCASTS),
    ("podcasts/", AppFamily.APPLE_PODCASTS),
    ("itunes", AppFamily.APPLE_PODCASTS),
    ("mozilla/", AppFamily.BROWSER),
)


def app_family(user_agent: str) -> AppFamily:
    """The family of the app that sent ``user_agent``."""
    agent = user_agent.lower()
    for mark, family in APP_MARKS:
        if mark in agent:
            return family
    return AppFamily.OTHER
