"""Stop following a show's feed: from then on the show is its owner's alone.

An imported show keeps what its publisher's feed says, so the studio refuses
edits of those fields (the next refresh would overwrite them). An owner who
moves the show to Ondas for good stops following the feed instead: no refresh
applies it again, held refreshes are rejected, and every field becomes
editable. Nothing the listeners have changes: the episodes stay, with their
GUIDs and their enclosures (the publisher's audio files, which the source row
still holds), so subscribers' apps see the same feed items.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ondas.catalog.models import Show
from ondas.ingest.errors import FeedImportInProgress, FeedSourceDetached
from ondas.ingest.models import FeedRefresh, FeedSource

logger = logging.getLogger(__name__)


@transaction.atomic
def feed_source_detach(
    *, show: Show, acting_user: AbstractBaseUser, now: datetime
) -> FeedSource:
    """Stop applying the show's feed; return its source row.

    Raise FeedSourceDetached if it was stopped already, and
    FeedImportInProgress while the import is still writing the show.
    """
    source = (
        FeedSource.objects.select_for_update(of=("self",))
        .select_related("show")
        .get(show=show)
    )
    if source.detached_at is not None:
        raise FeedSourceDetached(url=source.url)
    if source.show.importing:
        raise FeedImportInProgress(url=source.url)
    source.detached_at = now
    source.enabled = False
    source.save(update_fields=["detached_at", "enabled", "updated_at"])
    rejected = FeedRefresh.objects.filter(
        source=source, decision=FeedRefresh.Decision.PENDING
    ).update(
        decision=FeedRefresh.Decision.REJECTED,
        decided_at=now,
        decided_by=acting_user,
        held_body=None,
    )
    logger.info(
        "Feed %s: user %s stopped following it (show %s, %s held refreshes rejected)",
        source.pk,
        acting_user.pk,
        show.pk,
        rejected,
    )
    return source
