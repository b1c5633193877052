"""Reads of private feed keys: the key behind a token, and what the account
page and show pages offer. Selectors never write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from ondas.accounts.models import User
from ondas.billing.selectors import listening_rights
from ondas.catalog.models import Episode, Show
from ondas.catalog.selectors import show_list_visible
from ondas.catalog.visibility import episode_listed_q
from ondas.feedkeys.errors import PrivateFeedNotFound
from ondas.feedkeys.models import PrivateFeedKey
from ondas.feedkeys.tokens import token_hash, token_is_well_formed


def feed_key_get_by_token(*, token: str) -> PrivateFeedKey:
    """Return the live key of ``token``, with its person and show.

    Raise PrivateFeedNotFound for a token that is malformed, unknown or
    revoked: a caller cannot tell which.
    """
    if not token_is_well_formed(token):
        raise PrivateFeedNotFound
    key = (
        PrivateFeedKey.objects.select_related("user", "show")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        raise PrivateFeedNotFound
    return key


def feed_key_list_for_user(*, user: User) -> QuerySet[PrivateFeedKey]:
    """The person's live keys, with their shows."""
    return PrivateFeedKey.objects.filter(
        user=user, revoked_at__isnull=True
    ).select_related("show")


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
        wanted |= Q(episodes__access=Episode.Access.EXCLUSIVE) & episode_listed_q(
            now=now, prefix="episodes__"
        )
    shows = show_list_visible().filter(wanted).distinct().order_by("title", "pk")
    rows = []
    for show in shows:
        key = keys.get(show.pk)
        token = (key.token() or "") if key is not None else ""
        rows.append(PrivateFeedRow(show=show, key=key, token=token))
    return PrivateFeedOverview(entitled=entitled, rows=rows)


def private_feed_offered(
    *,
    user: User | AnonymousUser,
    exclusive_ids: frozenset[int],
    locked_ids: frozenset[int],
) -> bool:
    """Whether a show page points this person to their private feed of the show.

    They are signed in, the page lists exclusive episodes (``exclusive_ids``), and none of those is
    locked to them. ``locked_ids`` comes from ``playback.access.episode_ids_locked``,
    which already asked billing: this costs no query.
    """
    if not user.is_authenticated or locked_ids:
        return False
    return bool(exclusive_ids)


def feed_key_count_live_for_episode(episode: Episode) -> int:
    """How many live private feeds the episode's show has."""
    return PrivateFeedKey.objects.filter(
        show_id=episode.show_id, revoked_at__isnull=True
    ).count()


def feed_key_list_for_export(*, user: User) -> list[dict[str, object]]:
    """When each of this person's private feeds was made, for their data export.

    Never the address, its seed or its hash: the file may be kept anywhere.
    """
    rows = PrivateFeedKey.objects.filter(user=user).select_related("show")
    return [
        {
            "show": key.show.title,
            "origin": key.origin,
            "created_at": key.created_at,
            "revoked_at": key.revoked_at,
            "last_used_at": key.last_used_at,
        }
        for key in rows.order_by("created_at", "pk")
    ]
