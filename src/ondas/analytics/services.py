"""Writes of analytics that are not roll-ups: what a deleted account leaves."""

from __future__ import annotations

import logging

from ondas.accounts.models import User
from ondas.analytics.listening import CURSOR, listening_rollup
from ondas.analytics.models import RollupCursor
from ondas.playback.models import HeardSpan

logger = logging.getLogger(__name__)


def listening_forget_user(*, user: User) -> int:
    """Roll a deleted account's heard spans up, then remove them.

    The per-day roll-ups (``ListeningDay``, ``ListenerCoverage``) stay, on the
    anonymised account, which has no name, address or password left: the
    creators' totals, unique listeners, drop-off and the month's payouts stay
    what they were. Only spans the roll-up has read are removed, so one that
    arrives while this runs is counted by the next roll-up and not lost.
    Returns how many spans went.
    """
    listening_rollup()
    cursor = RollupCursor.objects.filter(name=CURSOR).first()
    position = cursor.position if cursor else 0
    removed, _by_model = HeardSpan.objects.filter(user=user, pk__lte=position).delete()
    logger.info("Heard spans of deleted account %s removed: %s", user.pk, removed)
    return removed
