"""May this person hear this now: the one question playback asks billing.

Free episodes play for everyone. Exclusive ones need a plan that includes them,
in a trial or a paid period (or overdue, where the plan keeps access then):
``billing.selectors.listening_rights`` decides, and only here is it asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from ondas.accounts.models import User
from ondas.billing.selectors import listening_rights
from ondas.catalog.models import Episode


def may_play(
    *, user: AbstractBaseUser | AnonymousUser | None, access: str, now: datetime
) -> bool:
    """Return whether ``user`` may hear an item with this ``Episode.Access`` now."""
    if access != Episode.Access.EXCLUSIVE:
        return True
    listener = user if isinstance(user, User) else None
    return listening_rights(user=listener, now=now).exclusive


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
