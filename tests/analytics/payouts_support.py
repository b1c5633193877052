"""Subscribers, charges and listening for the payout tests.

The worked examples subscribe through billing's services and listen through
playback's heard spans and the listening roll-up. The Hypothesis property
needs hundreds of subscribers per example, so ``quick_subscriber`` writes
the rows those services would (a subscription, its ledger charge) directly,
through ``ledger_record_charge`` for the money.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from ondas.accounts.models import User
from ondas.analytics.models import ListeningDay
from ondas.billing.models import LedgerEntry, Plan, Subscription
from ondas.billing.services import ledger_record_charge, plan_create
from ondas.catalog.models import Audiobook, Episode, Show
from ondas.catalog.services import (
    AudiobookPartInput,
    audio_file_create,
    audiobook_create,
    episode_create,
    show_create,
)


def monthly_plan(*, trial_days: int = 0, price_minor: int = 9900) -> Plan:
    return plan_create(
        slug=f"premium-{trial_days}-{price_minor}",
        name="Premium",
        price_minor=price_minor,
        currency="MXN",
        trial_days=trial_days,
        audiobook_hours=20,
        includes_exclusive=True,
    )


def show_with_episodes(title: str, count: int, *, at: datetime) -> list[Episode]:
    show: Show = show_create(title=title, author="Ana", language="es")
    return [
        episode_create(
            show=show,
            guid=f"{show.slug}-{n}",
            title=f"{title} {n}",
            published_at=at - timedelta(days=40),
            duration_seconds=3600.0,
        )
        for n in range(count)
    ]


def book_make(title: str, *, at: datetime) -> Audiobook:
    """A one-part, ten-hour book, through the catalog's services."""
    audio = audio_file_create(
        name=f"{title}.mp3",
        content=io.BytesIO(b"ID3" + bytes(1024)),
        mime_type="audio/mpeg",
        duration_seconds=36_000,
    )
    return audiobook_create(
        title=title,
        authors="Ana Pérez",
        language="es",
        published_at=at - timedelta(days=40),
        parts=[AudiobookPartInput(audio=audio)],
    )


def quick_subscriber(
    n: int,
    plan: Plan,
    *,
    paid_from: datetime,
    paid_until: datetime,
    charged_at: datetime,
    ended_at: datetime | None = None,
) -> tuple[User, LedgerEntry]:
    """A subscriber whose one charge paid [paid_from, paid_until)."""
    user = User.objects.create(
        username=f"s{n}@example.com", email=f"s{n}@example.com", is_active=True
    )
    sub = Subscription.objects.create(
        user=user,
        plan=plan,
        status=Subscription.Status.EXPIRED if ended_at else Subscription.Status.ACTIVE,
        current_period_start=paid_from,
        current_period_end=paid_until,
        ended_at=ended_at,
        provider="offline",
    )
    charge = ledger_record_charge(
        sub=sub,
        period_start=paid_from,
        period_stop=paid_until,
        provider_ref=f"test:{n}",
        now=charged_at,
    )
    return user, charge


def listened(
    user: User,
    item: Episode | Audiobook,
    day: date,
    *,
    seconds: float,
) -> ListeningDay:
    """A roll-up row as ``listening_rollup`` leaves it (played past 60 s)."""
    return ListeningDay.objects.create(
        user=user,
        episode=item if isinstance(item, Episode) else None,
        audiobook=item if isinstance(item, Audiobook) else None,
        day=day,
        audio_seconds=seconds,
        wall_seconds=seconds,
        played=seconds > 60,
    )
