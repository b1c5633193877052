"""Following shows: what puts a show on a listener's "Your shows" page."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils.timezone import now as timezone_now

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.feeds.models import Follow

logger = logging.getLogger(__name__)


def follow_show(*, user: User, show: Show, now: datetime | None = None) -> Follow:
    """Follow the show; following it again changes nothing."""
    follow, _created = Follow.objects.get_or_create(
        user=user, show=show, defaults={"created_at": now or timezone_now()}
    )
    return follow


def unfollow_show(*, user: User, show: Show) -> bool:
    """Stop following the show; return whether the person followed it."""
    deleted, _per_model = Follow.objects.filter(user=user, show=show).delete()
    return deleted > 0


def follow_delete_for_user(*, user: User) -> int:
    """Forget every show the person follows (their account is being deleted)."""
    deleted, _per_model = Follow.objects.filter(user=user).delete()
    if deleted:
        logger.info("Removed %s follows of user %s", deleted, user.pk)
    return deleted
