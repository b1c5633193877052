"""Presentation helpers for the audiobook pages and their player."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def book_player_strings() -> dict[str, str]:
    """The book player's words that change while it runs, for ``json_script``.

    Placeholders stay named (``%(time)s``); book-player.js fills them in.
    """
    return {
        "play": _("Play"),
        "pause": _("Pause"),
        "resumeAt": _("Resume at %(time)s"),
        "positionOf": _("%(elapsed)s of %(total)s"),
        "loadError": _("This part of the book cannot be played right now."),
        "left": _("%(left)s of audiobook time left"),
        "hoursMinutes": _("%(hours)d h %(minutes)d min"),
        "hours": _("%(hours)d h"),
        "minutes": _("%(minutes)d min"),
        "exhausted": _(
            "You have used this period’s audiobook hours. They renew on %(date)s; "
            "podcasts keep playing."
        ),
        "exhaustedNoDate": _(
            "You have used this period’s audiobook hours; podcasts keep playing."
        ),
        "sleepIn": _("Stops in %(time)s"),
        "sleepChapter": _("Stops at the end of this chapter"),
        "sleepDone": _("The sleep timer paused the book."),
        "bookmarkAdded": _("Bookmark added at %(time)s."),
        "bookmarkDeleted": _("Bookmark deleted."),
        "bookmarkJump": _("Go to %(time)s"),
        "bookmarkDelete": _("Delete"),
        "bookmarkDeleteLabel": _("Delete the bookmark at %(time)s"),
        "requestFailed": _("That did not work. Check your connection and try again."),
        "signInAgain": _("Your session has ended: sign in again to carry on."),
        "finished": _("You have reached the end of the book."),
    }
