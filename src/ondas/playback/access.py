"""May this person hear this now: the one question playback asks billing.

Free episodes play for everyone. Exclusive ones need a plan that includes them,
in a trial or a paid period (or overdue, where the plan keeps access then):
``billing.selectors.listening_rights`` decides, and only here is it asked.
Audiobooks: everyone hears a book's sample; its parts need audiobook time left
in the person's billing period (``book_access``), which metering then charges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from ondas.accounts.models import User
from ondas.billing.selectors import listening_rights
from ondas.catalog.models import Episode
from ondas.catalog.selectors import (
    AUDIOBOOK_PART_ACCESS,
    audiobook_get_by_id,
    episode_get_by_id,
)
from ondas.playback.errors import AllowanceRequired, SubscriptionRequired
from ondas.playback.models import ListeningProgress
from ondas.playback.selectors import Allowance, allowance_get


@dataclass(frozen=True)
class PlayRight:
    """The answer to "may this person hear this now", and how long a yes holds.

    ``until`` is when the person's paid or trial period ends (None: the yes
    does not depend on a period, as for free audio). ``metered`` answers are
    true for one request only: a book's part is charged against the
    listener's hours, so the question is asked again every time.
    """

    allowed: bool
    until: datetime | None = None
    metered: bool = False


def play_right(
    *, user: AbstractBaseUser | AnonymousUser | None, access: str, now: datetime
) -> PlayRight:
    """Return whether ``user`` may hear an item with this ``Episode.Access`` now.

    A book's part (``AUDIOBOOK_PART_ACCESS``) needs audiobook time left in the
    person's period; the book's sample is free like any free episode. Free
    audio never looks at ``user`` (so a lazy user is not loaded for it).
    """
    if access == AUDIOBOOK_PART_ACCESS:
        return PlayRight(book_access(user=user, now=now).full, metered=True)
    if access != Episode.Access.EXCLUSIVE:
        return PlayRight(True)
    listener = user if isinstance(user, User) else None
    rights = listening_rights(user=listener, now=now)
    return PlayRight(rights.exclusive, until=rights.period_end)


def yes_keep_seconds(right: PlayRight, *, now: datetime) -> int:
    """How many whole seconds a yes may be kept before the question is asked again.

    The one rule for both keepers of yes answers: nginx (``X-Accel-Expires``
    of the rights endpoint) and the lean audio path (``rights_cache``).
    ``ONDAS_AUDIO_RIGHTS_TTL`` seconds, never past the end of the period the
    yes rests on (an expiring trial or subscription stops at its end, not a
    TTL later), and 0 for a no or a metered answer (book parts).
    """
    if not right.allowed or right.metered:
        return 0
    seconds = max(int(settings.ONDAS_AUDIO_RIGHTS_TTL), 0)
    if right.until is not None:
        seconds = min(seconds, max(int((right.until - now).total_seconds()), 0))
    return seconds


def may_play(
    *, user: AbstractBaseUser | AnonymousUser | None, access: str, now: datetime
) -> bool:
    """Return whether ``user`` may hear an item with this ``Episode.Access`` now."""
    return play_right(user=user, access=access, now=now).allowed


def episode_ids_locked(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    episodes: Iterable[Episode],
    now: datetime,
) -> frozenset[int]:
    """Return the ids of the episodes this person may not play, asking billing once."""
    exclusive = [episode.pk for episode in episodes if episode.is_exclusive]
    if not exclusive or may_play(user=user, access=Episode.Access.EXCLUSIVE, now=now):
        return frozenset()
    return frozenset(exclusive)


@dataclass(frozen=True)
class BookAccess:
    """What a person may hear of audiobooks now."""

    allowance: Allowance | None  # None: not signed in

    @property
    def full(self) -> bool:
        """Whole books play: the period still has audiobook time left."""
        return self.allowance is not None and self.allowance.left_seconds > 0

    @property
    def exhausted(self) -> bool:
        """The plan has audiobook hours, and this period's are all used."""
        return (
            self.allowance is not None
            and self.allowance.period_start is not None
            and self.allowance.left_seconds <= 0
        )


def book_access(
    *, user: AbstractBaseUser | AnonymousUser | None, now: datetime
) -> BookAccess:
    """Return what ``user`` may hear of audiobooks now; samples are free for all."""
    if not isinstance(user, User):
        return BookAccess(allowance=None)
    return BookAccess(allowance=allowance_get(user=user, now=now))


def book_stream_allowance(*, user: User, now: datetime) -> Allowance:
    """The allowance a metered stream of a whole book draws on (the web
    player's and the API's); AllowanceRequired when the period has none left."""
    allowance = book_access(user=user, now=now).allowance
    if allowance is None or allowance.left_seconds <= 0:
        raise AllowanceRequired
    return allowance


# Positions beyond this are absurd whatever the item (its length unknown).
MAX_POSITION_SECONDS = 7 * 24 * 3600


def progress_item_length(
    *, user: User, kind: str, item_id: int, now: datetime
) -> float:
    """Return how far a position in this item may go, once ``user`` may hear it.

    Raise NotFoundError for an item that does not exist (or an episode
    listeners may not see: a draft, scheduled, unpublished or deleted), and
    SubscriptionRequired for an exclusive episode the person may not hear.
    A book's sample is everyone's, so anyone signed in keeps a place in a book.
    """
    if kind == ListeningProgress.Kind.AUDIOBOOK:
        return audiobook_get_by_id(audiobook_id=item_id).duration_seconds
    episode = episode_get_by_id(episode_id=item_id, listed_at=now)
    if not may_play(user=user, access=episode.access, now=now):
        raise SubscriptionRequired(audio_id=episode.audio_id or 0)
    return episode.duration_seconds or MAX_POSITION_SECONDS


def episode_get_to_hear(*, user: User, episode_id: int, now: datetime) -> Episode:
    """The episode, once ``user`` may hear it now.

    Raise NotFoundError for one listeners may not see, and
    SubscriptionRequired for an exclusive one the person may not hear.
    """
    episode = episode_get_by_id(episode_id=episode_id, listed_at=now)
    if not may_play(user=user, access=episode.access, now=now):
        raise SubscriptionRequired(audio_id=episode.audio_id or 0)
    return episode
