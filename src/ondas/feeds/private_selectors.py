"""Reads for private feeds: what the account page and show pages offer.

Selectors never write; the key itself lives in billing (``PrivateFeedKey``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from ondas.accounts.models import User
from ondas.billing.models import PrivateFeedKey
from ondas.billing.selectors import feed_key_list_for_user, listening_rights
from ondas.catalog.models import Episode, Show


@dataclass(frozen=True)
class PrivateFeedRow:
    """One show on the account page, and the person's key to it, if any."""

    show: Show
    key: PrivateFeedKey | None
    # The token, derived again; "" when there is no key, or when SECRET_KEY
    # changed since the key was made (the page then asks to regenerate).
    token: str

    @property
    def reset_after_sharing(self) -> bool:
        return (
            self.key is not None
            and self.key.origin == PrivateFeedKey.Origin.RESET_SHARED
        )

    @property
    def replaced_by_staff(self) -> bool:
        return (
            self.key is not None
            and self.key.origin == PrivateFeedKey.Origin.STAFF_REPLACED
        )


@dataclass(frozen=True)
class PrivateFeedOverview:
    entitled: bool  # the person's plan includes the exclusive shows, now
    rows: list[PrivateFeedRow]


def private_feed_overview(*, user: User, now: datetime) -> PrivateFeedOverview:
    """The shows with exclusive episodes (if the person may hear them) and the
    shows the person already has a private feed of, by title."""
    entitled = listening_rights(user=user, now=now).exclusive
    keys = {key.show_id: key for key in feed_key_list_for_user(user=user)}
    wanted = Q(pk__in=list(keys))
    if entitled:
        wanted |= Q(
            episodes__access=Episode.Access.EXCLUSIVE, episodes__published_at__lte=now
        )
    shows = Show.objects.filter(wanted).distinct().order_by("title", "pk")
    rows = []
    for show in shows:
        key = keys.get(show.pk)
        token = (key.token() or "") if key is not None else ""
        rows.append(PrivateFeedRow(show=show, key=key, token=token))
    return PrivateFeedOverview(entitled=entitled, rows=rows)


def private_feed_offered(
    *,
    user: User | AnonymousUser,
    episodes: Iterable[Episode],
    locked_ids: frozenset[int],
) -> bool:
    """Whether a show page points this person to their private feed of the show.

    They are signed in, the page lists exclusive episodes, and none of those is
    locked to them. ``locked_ids`` comes from ``playback.access.episode_ids_locked``,
    which already asked billing: this costs no query.
    """
    if not user.is_authenticated or locked_ids:
        return False
    return any(episode.is_exclusive for episode in episodes)
