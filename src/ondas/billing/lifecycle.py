"""The subscription lifecycle: every state change goes through ``transition``.

::

    (start) ──► trialing ──► active ◄──► past_due ──► expired
                   │           │            │
                   └───────────┴────────────┴──► canceled

- trialing → active: the first charge at the end of the trial succeeded;
- trialing/active → past_due: a renewal charge failed (retries follow);
- past_due → active: a retry (or an offline payment) succeeded;
- past_due → expired: the last retry failed;
- trialing/active → canceled: the period ended after the person cancelled;
- past_due → canceled: the person cancelled while a payment was overdue.

Requests that do not change the state (cancel at period end, resume, a
renewal within ``active``) are recorded through ``record`` with the same
history table.
"""

from __future__ import annotations

from datetime import datetime

from ondas.accounts.models import User
from ondas.billing.errors import InvalidTransition
from ondas.billing.models import Subscription, SubscriptionEvent

Status = Subscription.Status
Kind = SubscriptionEvent.Kind

# (event kind, from status) → to status
TRANSITIONS: dict[tuple[str, str], str] = {
    (Kind.STARTED, ""): Status.TRIALING,
    (Kind.TRIAL_CONVERTED, Status.TRIALING): Status.ACTIVE,
    (Kind.RENEWED, Status.ACTIVE): Status.ACTIVE,
    (Kind.PAYMENT_FAILED, Status.TRIALING): Status.PAST_DUE,
    (Kind.PAYMENT_FAILED, Status.ACTIVE): Status.PAST_DUE,
    (Kind.PAYMENT_FAILED, Status.PAST_DUE): Status.PAST_DUE,
    (Kind.PAYMENT_RECOVERED, Status.PAST_DUE): Status.ACTIVE,
    (Kind.EXPIRED, Status.PAST_DUE): Status.EXPIRED,
    (Kind.CANCELED, Status.TRIALING): Status.CANCELED,
    (Kind.CANCELED, Status.ACTIVE): Status.CANCELED,
    (Kind.CANCELED, Status.PAST_DUE): Status.CANCELED,
}


def transition(
    sub: Subscription,
    kind: str,
    *,
    now: datetime,
    actor: User | None = None,
    data: dict[str, object] | None = None,
    born_active: bool = False,
) -> SubscriptionEvent:
    """Move ``sub`` along ``kind``; raise InvalidTransition if the machine forbids it.

    A subscription that starts without a trial (``born_active``) is active at
    once. The caller saves ``sub`` and the returned event in one transaction.
    """
    from_status = "" if sub.pk is None or kind == Kind.STARTED else sub.status
    to_status: str
    if kind == Kind.STARTED and born_active:
        to_status = Status.ACTIVE
    else:
        key = (kind, from_status)
        if key not in TRANSITIONS:
            raise InvalidTransition(kind=kind, from_status=from_status)
        to_status = TRANSITIONS[key]
    sub.status = to_status
    if to_status in (Status.CANCELED, Status.EXPIRED):
        sub.ended_at = now
        sub.next_retry_at = None
    return SubscriptionEvent(
        subscription=sub,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        at=now,
        actor=actor,
        data=data or {},
    )


def record(
    sub: Subscription,
    kind: str,
    *,
    now: datetime,
    actor: User | None = None,
    data: dict[str, object] | None = None,
) -> SubscriptionEvent:
    """Write a history row for a request that leaves the state as it is."""
    return SubscriptionEvent.objects.create(
        subscription=sub,
        kind=kind,
        from_status=sub.status,
        to_status=sub.status,
        at=now,
        actor=actor,
        data=data or {},
    )
