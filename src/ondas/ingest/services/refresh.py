"""Refresh a show from its feed, and let a person decide the changes held back.

The rules, from the AWS us-east-1 outage of October 2025 (a delayed process
applied an old DNS plan over a newer one, and a clean-up then emptied it):

- the decision to apply is taken under the source's row lock, against the
  state last applied, in the same transaction as the writes (its plan may be
  made just before the lock, and stands only if nothing it depends on changed
  since: ``ahead``); a plan that adds or updates many episodes has them
  written ahead in short batches, only when the decision would apply it
  anyway, and each batch stops if another feed was applied meanwhile;
- a show whose import was killed midway (still hidden) is imported on, not
  refreshed (``imports.import_finish``);
- a feed older than the one applied (``lastBuildDate``, newest item date) is
  refused; the same content (digest) is a no-op;
- an empty, truncated or unparsable body, an HTTP error, a DNS failure or a
  timeout changes nothing in the catalog;
- episodes a feed stops listing are marked missing, never deleted; more than
  ``ONDAS_FEEDS_MAX_REMOVAL_PERCENT`` of them at once is held for a person;
- approving a held change re-checks that nothing newer was applied meanwhile;
- every attempt writes a ``FeedRefresh`` row saying what changed, or why not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.timezone import now as timezone_now
from django_tasks import task

from ondas.catalog.services import show_update_from_feed
from ondas.ingest.errors import (
    FeedAlreadyImported,
    FeedApprovalStale,
    FeedError,
    FeedImportInProgress,
    FeedMassRemovalHeld,
    FeedRefreshNotPending,
    FeedSourceDetached,
)
from ondas.ingest.fetch import FetchResult, fetch_url
from ondas.ingest.models import FeedRefresh, FeedSource
from ondas.ingest.parse import ParsedFeed, feed_items_missing, feed_parse
from ondas.ingest.services.ahead import Ahead, apply_ahead, feed_older, plan_stamp
from ondas.ingest.services.audit import (
    Attempt,
    applied_state_record,
    audit_write,
    followups_enqueue,
    show_language,
    source_schedule,
)
from ondas.ingest.services.imports import import_finish, import_resume_claim
from ondas.ingest.services.reconcile import (
    ReconcilePlan,
    reconcile_apply,
    reconcile_plan,
    show_profile_apply,
)
from ondas.ingest.signals import feed_read_send

logger = logging.getLogger(__name__)

Outcome = FeedRefresh.Outcome
Trigger = FeedRefresh.Trigger
# A claimed source is not handed out again for this long (the refresh itself
# then sets the real next time).
CLAIM_LEASE = timedelta(minutes=15)


class _Validators(Enum):
    """What a refresh does with the HTTP validators of the response it read."""

    KEEP = "keep"  # a refused body: ask for it in full next time too
    STORE = "store"  # applied or unchanged: the next fetch may be conditional
    FORGET = "forget"  # held: the next fetch is a full one


@dataclass(frozen=True)
class _Decision:
    outcome: str
    ok: bool = True  # counted as a success for the schedule (no backoff)
    validators: _Validators = _Validators.STORE
    error: FeedError | None = None
    plan: ReconcilePlan | None = None  # made only when the feed is new


def _decide(
    source: FeedSource,
    feed: ParsedFeed,
    *,
    guard_removals: bool,
    plan: ReconcilePlan | None = None,
) -> _Decision:
    """What to do with ``feed``, against what was applied last; changes nothing.

    The cheap refusals come first: only a feed with new content is compared
    episode by episode with the catalog (unless ``plan``, made outside the
    lock against this very state, is given).
    """
    if not feed.items:
        return _Decision(
            Outcome.REFUSED,
            ok=False,
            validators=_Validators.KEEP,
            error=feed_items_missing(feed),
        )
    older = feed_older(source, feed)
    if older is not None:
        return _Decision(Outcome.REFUSED, validators=_Validators.KEEP, error=older)
    if feed.content_sha256 == source.applied_content_sha256:
        return _Decision(Outcome.UNCHANGED)
    if plan is None:
        plan = reconcile_plan(show=source.show, feed=feed)
    limit = settings.ONDAS_FEEDS_MAX_REMOVAL_PERCENT / 100
    if guard_removals and plan.removal_share() > limit:
        error = FeedMassRemovalHeld(
            missing=len(plan.missing), present=plan.active_before
        )
        return _Decision(
            Outcome.HELD, validators=_Validators.FORGET, error=error, plan=plan
        )
    return _Decision(Outcome.APPLIED, plan=plan)


def _held_fields(
    source: FeedSource, attempt: Attempt, feed: ParsedFeed, plan: ReconcilePlan
) -> dict[str, object]:
    """The audit row of a held refresh keeps the body for a person to decide on
    (unless the same content is already waiting)."""
    assert attempt.fetch is not None
    pending = source.refreshes.filter(
        decision=FeedRefresh.Decision.PENDING, content_sha256=feed.content_sha256
    ).first()
    return {
        "missing": len(plan.missing),
        "added": len(plan.new),
        "updated": len(plan.changed),
        "details": plan.details()
        | {"share_missing": round(plan.removal_share(), 4)}
        | ({"same_as": pending.pk} if pending else {}),
        "held_body": None if pending else attempt.fetch.body,
        "base_content_sha256": source.applied_content_sha256,
        "decision": "" if pending else FeedRefresh.Decision.PENDING,
    }


def _apply(
    source: FeedSource,
    attempt: Attempt,
    feed: ParsedFeed,
    plan: ReconcilePlan,
    *,
    now: datetime,
) -> dict[str, object]:
    """Write the plan: the show, its profile and people, its episodes."""
    assert attempt.fetch is not None
    show_update_from_feed(
        show=source.show,
        title=feed.title,
        author=feed.author,
        description=feed.description,
        explicit=feed.explicit,
        kind=feed.kind,
        language=show_language(feed.language, default=source.show.language),
    )
    show_profile_apply(show=source.show, feed=feed)
    followups = reconcile_apply(source=source, feed=feed, plan=plan, now=now)
    applied_state_record(source, feed)
    if attempt.fetch.permanent_redirect and attempt.fetch.url != source.url:
        if not FeedSource.objects.filter(url=attempt.fetch.url).exists():
            source.url = attempt.fetch.url
    followups_enqueue(followups)
    return {
        "added": len(plan.new),
        "updated": len(plan.changed),
        "missing": len(plan.missing),
        "restored": len(plan.restored),
        "details": plan.details(),
    }


def _apply_or_hold(
    source: FeedSource,
    attempt: Attempt,
    feed: ParsedFeed,
    *,
    now: datetime,
    guard_removals: bool,
    ahead: Ahead | None = None,
) -> FeedRefresh:
    """Plan, decide and act under the row lock; schedule, and write the audit row.

    Every outcome leaves through the same three steps at the end. ``ahead``
    is the work done before the lock (``ahead.apply_ahead``): its plan stands if
    nothing changed since, and its counts join the audit row.
    """
    assert attempt.fetch is not None
    plan = (
        ahead.plan if ahead is not None and ahead.stamp == plan_stamp(source) else None
    )
    decision = _decide(source, feed, guard_removals=guard_removals, plan=plan)
    fields: dict[str, object] = {}
    if decision.plan is not None and decision.outcome == Outcome.APPLIED:
        fields = _apply(source, attempt, feed, decision.plan, now=now)
        if ahead is not None:
            fields["added"] = int(str(fields["added"])) + ahead.added
            fields["updated"] = int(str(fields["updated"])) + ahead.updated
            if ahead.details is not None:
                fields["details"] = ahead.details
    elif decision.plan is not None and decision.outcome == Outcome.HELD:
        fields = _held_fields(source, attempt, feed, decision.plan)
    if decision.validators is _Validators.STORE:
        source.etag = attempt.fetch.etag
        source.last_modified = attempt.fetch.last_modified
    elif decision.validators is _Validators.FORGET:
        source.etag = source.last_modified = ""
    source_schedule(source, ok=decision.ok, now=now)
    source.save()
    return audit_write(
        source,
        attempt,
        outcome=decision.outcome,
        now=now,
        feed=feed,
        error=decision.error,
        **fields,
    )


def feed_source_refresh(
    *,
    source: FeedSource,
    trigger: str = Trigger.SCHEDULE,
    now: datetime | None = None,
) -> FeedRefresh:
    """Fetch the source's feed and apply it if it is safe; return the audit row.

    Never raises for a bad feed or an unreachable server: the audit row says
    why nothing changed, and the source backs off.
    """
    started = now or timezone_now()
    attempt = Attempt(started, trigger)
    if FeedSource.objects.filter(pk=source.pk, detached_at__isnull=False).exists():
        return _refuse_detached(source, attempt, now=started)
    try:
        fetch = fetch_url(
            source.url, etag=source.etag, last_modified=source.last_modified
        )
        attempt = Attempt(started, trigger, fetch)
        feed = None if fetch.not_modified else feed_parse(fetch.body, url=fetch.url)
    except FeedError as exc:
        with transaction.atomic(durable=True):
            locked = FeedSource.objects.select_for_update().get(pk=source.pk)
            current = now or timezone_now()
            source_schedule(locked, ok=False, now=current)
            locked.save()
            return audit_write(
                locked, attempt, outcome=Outcome.FAILED, now=current, error=exc
            )
    current = now or timezone_now()
    ahead = None
    if feed is not None and feed.items:
        if _importing(source):
            resumed = _import_resume(source, attempt, feed, now=current)
            if resumed is not None:
                return resumed
        ahead = apply_ahead(source, feed, now=current)
    with transaction.atomic(durable=True):
        locked = (
            FeedSource.objects.select_for_update()
            .select_related("show")
            .get(pk=source.pk)
        )
        current = now or timezone_now()
        if locked.detached_at is not None:
            # Stopped following while this feed was being fetched.
            return _refuse_detached(locked, attempt, now=current)
        if feed is None:
            source_schedule(locked, ok=True, now=current)
            locked.save()
            return audit_write(
                locked, attempt, outcome=Outcome.NOT_MODIFIED, now=current
            )
        row = _apply_or_hold(
            locked, attempt, feed, now=current, guard_removals=True, ahead=ahead
        )
    # Committed: what the feed says now may prove things to other apps.
    feed_read_send(source=locked, feed=feed)
    return row


def _refuse_detached(
    source: FeedSource, attempt: Attempt, *, now: datetime
) -> FeedRefresh:
    return audit_write(
        source,
        attempt,
        outcome=Outcome.REFUSED,
        now=now,
        error=FeedSourceDetached(url=source.url),
    )


def _importing(source: FeedSource) -> bool:
    return FeedSource.objects.filter(pk=source.pk, show__importing=True).exists()


def _import_resume(
    source: FeedSource, attempt: Attempt, feed: ParsedFeed, *, now: datetime
) -> FeedRefresh | None:
    """Carry on the import of a show still hidden (a run before was killed);
    None if it finished meanwhile (then this is an ordinary refresh)."""
    try:
        claimed = import_resume_claim(
            source=source, now=now, leased=attempt.trigger == Trigger.SCHEDULE
        )
    except FeedAlreadyImported:
        return None
    except FeedImportInProgress as exc:
        with transaction.atomic(durable=True):
            locked = FeedSource.objects.select_for_update().get(pk=source.pk)
            return audit_write(
                locked, attempt, outcome=Outcome.REFUSED, now=now, feed=feed, error=exc
            )
    return import_finish(source=claimed, attempt=attempt, feed=feed, now=now)


def feed_refresh_approve(
    *, refresh: FeedRefresh, acting_user: AbstractBaseUser, now: datetime | None = None
) -> FeedRefresh:
    """Apply a held refresh; return the new audit row.

    Raises FeedApprovalStale (and rejects the held refresh) when another
    version of the feed was applied after it was held.
    """
    current = now or timezone_now()
    with transaction.atomic(durable=True):
        held = FeedRefresh.objects.select_for_update().get(pk=refresh.pk)
        if held.decision != FeedRefresh.Decision.PENDING or held.held_body is None:
            raise FeedRefreshNotPending(refresh_id=held.pk)
        source = (
            FeedSource.objects.select_for_update()
            .select_related("show")
            .get(pk=held.source_id)
        )
        held.decided_by = acting_user  # type: ignore[assignment]
        held.decided_at = current
        stale = source.applied_content_sha256 != held.base_content_sha256
        body = bytes(held.held_body)
        held.held_body = None
        held.decision = (
            FeedRefresh.Decision.REJECTED if stale else FeedRefresh.Decision.APPROVED
        )
        held.save(update_fields=["decided_by", "decided_at", "held_body", "decision"])
        if not stale:
            feed = feed_parse(body, url=source.url)
            fetch = FetchResult(source.url, 200, body, "", "", "")
            row = _apply_or_hold(
                source,
                Attempt(current, Trigger.APPROVAL, fetch),
                feed,
                now=current,
                guard_removals=False,
            )
            row.details = row.details | {"approved_refresh": held.pk}
            row.save(update_fields=["details"])
            logger.info(
                "Feed %s: held refresh %s approved by user %s",
                source.pk,
                held.pk,
                acting_user.pk,
            )
            return row
    raise FeedApprovalStale(refresh_id=held.pk)


def feed_refresh_reject(
    *, refresh: FeedRefresh, acting_user: AbstractBaseUser, now: datetime | None = None
) -> FeedRefresh:
    """Discard a held refresh; the catalog stays as it is."""
    with transaction.atomic(durable=True):
        held = FeedRefresh.objects.select_for_update().get(pk=refresh.pk)
        if held.decision != FeedRefresh.Decision.PENDING:
            raise FeedRefreshNotPending(refresh_id=held.pk)
        held.decision = FeedRefresh.Decision.REJECTED
        held.decided_by = acting_user  # type: ignore[assignment]
        held.decided_at = now or timezone_now()
        held.held_body = None
        held.save(update_fields=["decided_by", "decided_at", "held_body", "decision"])
    logger.info(
        "Feed %s: held refresh %s rejected by user %s",
        held.source_id,
        held.pk,
        acting_user.pk,
    )
    return held


def feed_source_claim_due(
    *, now: datetime | None = None, limit: int = 100
) -> list[int]:
    """Claim sources whose refresh is due; return their ids.

    A claim moves ``next_refresh_at`` forward by a lease with a conditional
    update, so two schedulers running at once never claim the same source.
    """
    current = now or timezone_now()
    claimed: list[int] = []
    due = (
        FeedSource.objects.filter(enabled=True, next_refresh_at__lte=current)
        .order_by("next_refresh_at")
        .values_list("pk", "next_refresh_at")[:limit]
    )
    for pk, next_at in list(due):
        won = FeedSource.objects.filter(pk=pk, next_refresh_at=next_at).update(
            next_refresh_at=current + CLAIM_LEASE
        )
        if won:
            claimed.append(pk)
    return claimed


@task()
def feed_source_refresh_task(*, source_id: int, trigger: str = "schedule") -> str:
    """Refresh one feed; return the outcome written to its audit row."""
    source = FeedSource.objects.filter(pk=source_id).first()
    if source is None:
        logger.warning("Feed %s vanished before its refresh", source_id)
        return "gone"
    row: FeedRefresh = feed_source_refresh(source=source, trigger=trigger)
    return row.outcome


@task()
def feed_source_refresh_due_task(*, limit: int = 100) -> int:
    """Claim every feed whose refresh is due and queue a refresh for each."""
    claimed = feed_source_claim_due(limit=limit)
    for source_id in claimed:
        feed_source_refresh_task.enqueue(source_id=source_id)
    return len(claimed)
