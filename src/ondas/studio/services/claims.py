"""Owners of imported shows: who imported, and who proves control of the feed.

Two receivers of ingest's signals (``ingest.signals``, connected in
``StudioConfig.ready``) do the work, so ingest never imports the studio:

- ``feed_imported``: the person who asked for the import becomes the owner,
  in the import's own transaction;
- ``feed_read``: after each refresh that read the feed, the open claims of
  the show are checked against its ``podcast:txt`` values and its
  description; a claim whose code is there makes its creator an owner.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.core import clock
from ondas.ingest.models import FeedSource
from ondas.ingest.parse import ParsedFeed
from ondas.studio.errors import ClaimNotImported, StudioForbidden
from ondas.studio.models import Membership, Role, ShowClaim
from ondas.studio.selectors import show_follows_feed, studio_create_allowed
from ondas.studio.services.members import membership_grant
from ondas.studio.tokens import claim_token_make

logger = logging.getLogger(__name__)


def show_claim_request(
    *, show: Show, acting_user: User, now: datetime | None = None
) -> ShowClaim:
    """The open claim of ``acting_user`` on an imported show, made if needed.

    Raises StudioForbidden unless the person is a creator or staff, and
    ClaimNotImported for a show that has no feed to prove anything with.
    """
    if not studio_create_allowed(user=acting_user):
        raise StudioForbidden()
    if not show_follows_feed(show=show):
        raise ClaimNotImported()
    current = now or clock.now()
    lifetime = timedelta(seconds=settings.ONDAS_STUDIO_CLAIM_MAX_AGE_SECONDS)
    with transaction.atomic():
        claim = (
            ShowClaim.objects.select_for_update(of=("self",))
            .filter(show=show, user=acting_user, proven_at__isnull=True)
            .first()
        )
        if claim is None:
            claim = ShowClaim(show=show, user=acting_user, token=claim_token_make())
        claim.expires_at = current + lifetime
        claim.full_clean(exclude=["show", "user"])
        claim.save()
    logger.info("User %s asked to claim show %s", acting_user.pk, show.pk)
    return claim


def _codes_in(feed: ParsedFeed) -> str:
    return "\n".join([*feed.txt, feed.description])


def show_claims_check(
    *, show: Show, feed: ParsedFeed, now: datetime | None = None
) -> list[Membership]:
    """Make owners of the creators whose claim code the feed now carries."""
    current = now or clock.now()
    text = _codes_in(feed)
    proven: list[Membership] = []
    with transaction.atomic():
        claims = ShowClaim.objects.select_for_update(of=("self",)).filter(
            show=show, proven_at__isnull=True, expires_at__gt=current
        )
        for claim in claims.select_related("user"):
            if claim.token not in text:
                continue
            proven.append(
                membership_grant(target=show, user=claim.user, role=Role.OWNER)
            )
            claim.proven_at = current
            claim.save(update_fields=["proven_at", "updated_at"])
            logger.info(
                "Claim %s proven: user %s owns show %s",
                claim.pk,
                claim.user_id,
                show.pk,
            )
    return proven


def on_feed_imported(
    sender: type[FeedSource],
    *,
    source: FeedSource,
    imported_by: User | None,
    **kwargs: Any,
) -> None:
    """The person who imported a show owns it (staff may add or change owners)."""
    if imported_by is not None and imported_by.pk:
        membership_grant(target=source.show, user=imported_by, role=Role.OWNER)


def on_feed_read(
    sender: type[FeedSource], *, source: FeedSource, feed: ParsedFeed, **kwargs: Any
) -> None:
    """Check the show's open claims against what its feed says now."""
    if ShowClaim.objects.filter(
        show_id=source.show_id, proven_at__isnull=True
    ).exists():
        show_claims_check(show=source.show, feed=feed)
