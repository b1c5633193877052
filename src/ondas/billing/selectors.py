"""Reads of billing, including the entitlement questions playback asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet, Sum

from ondas.accounts.models import User
from ondas.billing.errors import SubscriptionNotFound
from ondas.billing.models import LedgerEntry, Plan, Subscription

Status = Subscription.Status


def plan_list_offered() -> QuerySet[Plan]:
    """Plans on the storefront, in their order."""
    return Plan.objects.filter(is_active=True).order_by("position", "price_minor")


def subscription_get_current(*, user: User) -> Subscription | None:
    """The person's live subscription, else their most recent one, else None."""
    subs = Subscription.objects.filter(user=user).select_related("plan")
    return subs.filter(status__in=Subscription.LIVE).first() or subs.first()


def subscription_get_for_user(*, user: User, subscription_id: int) -> Subscription:
    """Return the subscription if it is this person's; raise SubscriptionNotFound."""
    sub = (
        Subscription.objects.filter(user=user, pk=subscription_id)
        .select_related("plan")
        .first()
    )
    if sub is None:
        raise SubscriptionNotFound
    return sub


@dataclass(frozen=True)
class ListeningRights:
    """What a person's plan lets them hear right now."""

    exclusive: bool
    audiobook_seconds_per_period: int
    period_start: datetime | None
    period_end: datetime | None
    subscription_id: int | None


NO_RIGHTS = ListeningRights(
    exclusive=False,
    audiobook_seconds_per_period=0,
    period_start=None,
    period_end=None,
    subscription_id=None,
)


def _grants_access(sub: Subscription, now: datetime) -> bool:
    if sub.status in (Status.TRIALING, Status.ACTIVE):
        return sub.current_period_start <= now < sub.current_period_end
    if sub.status == Status.PAST_DUE:
        return sub.plan.past_due_keeps_access
    return False


def listening_rights(
    *, user: User | AnonymousUser | None, now: datetime
) -> ListeningRights:
    """The one question playback asks billing: may this person hear exclusive
    episodes now, and how many audiobook seconds does their period hold."""
    if user is None or not user.is_authenticated:
        return NO_RIGHTS
    sub = (
        Subscription.objects.filter(user_id=user.pk, status__in=Subscription.LIVE)
        .select_related("plan")
        .first()
    )
    if sub is None or not _grants_access(sub, now):
        return NO_RIGHTS
    return ListeningRights(
        exclusive=sub.plan.includes_exclusive,
        audiobook_seconds_per_period=sub.plan.audiobook_hours * 3600,
        period_start=sub.current_period_start,
        period_end=sub.current_period_end,
        subscription_id=sub.pk,
    )


def ledger_list_for_user(*, user: User) -> QuerySet[LedgerEntry]:
    """The person's receipts and refunds, newest first."""
    return LedgerEntry.objects.filter(user=user).order_by("-created_at", "-pk")


def ledger_balance_minor(*, currency: str) -> int:
    """Charges minus refunds and credits, in one currency."""
    totals = dict(
        LedgerEntry.objects.filter(currency=currency)
        .values_list("kind")
        .annotate(total=Sum("amount_minor"))
        .values_list("kind", "total")
    )
    return (
        int(totals.get(LedgerEntry.Kind.CHARGE, 0))
        - int(totals.get(LedgerEntry.Kind.REFUND, 0))
        - int(totals.get(LedgerEntry.Kind.CREDIT, 0))
    )
