"""Payouts over random months, checked against an oracle built from the draw.

Each example draws subscribers (full months, starts after a free trial,
mid-month cancellations, people who never paid), partial refunds, prices
with odd cents, shares, the stream rate on or off, and plays of episodes and
books (some under 60 s, some in trials or after a subscription ended). Then:

- the statements sum to the distributed amount to the minor unit, and that
  is the share of what listening subscribers paid (share mode);
- no payee earns from a subscriber who never streamed it on a paid day;
- no subscriber gives more than their cap, floor(net × share);
- closing again changes nothing;
- a refund written after the close counts in December, and November's
  statements and payables stay as they were.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from ondas.accounts.models import User
from ondas.analytics.models import ListeningDay, PayoutAudit, PayoutPeriod, Statement
from ondas.analytics.payouts.engine import payouts_compute
from ondas.analytics.payouts.services import payout_period_close
from ondas.billing.models import LedgerEntry, PayableEntry, Plan, Subscription
from ondas.billing.services import ledger_record_refund
from ondas.catalog.models import Audiobook, Episode
from tests.analytics.payouts_support import (
    book_make,
    listened,
    monthly_plan,
    quick_subscriber,
    show_with_episodes,
)

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Person:
    kind: str  # "full", "after_trial", "cancelled", "never_paid"
    first_paid_day: int  # 1..28: the day the paid period starts
    last_paid_day: int  # the day a cancellation ended it (exclusive)
    plan: int  # index of the plan (prices differ)
    refund: int  # minor units refunded in November (capped at the price)


people = st.builds(
    Person,
    kind=st.sampled_from(["full", "full", "after_trial", "cancelled", "never_paid"]),
    first_paid_day=st.integers(1, 20),
    last_paid_day=st.integers(5, 29),
    plan=st.integers(0, 1),
    refund=st.sampled_from([0, 0, 0, 1, 2500, 9900]),
)
plays = st.tuples(
    st.integers(0, 29),  # person (modulo the number drawn)
    st.integers(0, 6),  # item (modulo the catalog)
    st.integers(1, 30),  # day of November
    st.sampled_from([30.0, 61.0, 600.0, 600.0, 1799.5, 3600.0]),
)
months = st.fixed_dictionaries(
    {
        "people": st.lists(people, min_size=3, max_size=30),
        "plays": st.lists(plays, min_size=10, max_size=120),
        "share": st.sampled_from(["0.5", "0.5", "0.3", "0.7"]),
        "rate": st.sampled_from([None, None, 400]),
        "late_refund": st.booleans(),
    }
)


def _clear() -> None:
    Statement.objects.all().delete()
    PayoutAudit.objects.all().delete()
    PayoutPeriod.objects.all().delete()
    PayableEntry.objects.exclude(reverses=None).delete()
    PayableEntry.objects.all().delete()
    ListeningDay.objects.all().delete()
    LedgerEntry.objects.exclude(refund_of=None).delete()
    LedgerEntry.objects.all().delete()
    Subscription.objects.all().delete()
    User.objects.all().delete()


def _paid_days(person: Person) -> range:
    if person.kind == "never_paid":
        return range(0)
    first = person.first_paid_day
    if person.kind == "cancelled":
        return range(first, max(first, person.last_paid_day))
    return range(first, 31)


def test_payouts_over_random_months(db: None) -> None:
    plans: list[Plan] = [monthly_plan(), monthly_plan(price_minor=4999)]
    items: list[Episode | Audiobook] = [
        *show_with_episodes("Uno", 2, at=NOV),
        *show_with_episodes("Dos", 2, at=NOV),
        *show_with_episodes("Tres", 1, at=NOV),
        book_make("Libro uno", at=NOV),
        book_make("Libro dos", at=NOV),
    ]

    def payee_of(item: Episode | Audiobook) -> tuple[str, int]:
        return (
            ("show", item.show_id) if isinstance(item, Episode) else ("book", item.pk)
        )

    paid_out: list[int] = []

    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(month=months)
    def check(month: dict[str, object]) -> None:
        try:
            with override_settings(
                ONDAS_PAYOUT_CREATOR_SHARE=month["share"],
                ONDAS_PAYOUT_STREAM_RATE_MINOR=month["rate"],
            ):
                _check(month)
        finally:
            _clear()

    def _check(month: dict[str, object]) -> None:
        drawn: list[Person] = month["people"]  # type: ignore[assignment]
        share = Fraction(Decimal(str(month["share"])))
        users: list[User] = []
        charges: list[LedgerEntry | None] = []
        net: dict[int, int] = {}
        for n, person in enumerate(drawn):
            plan = plans[person.plan]
            if person.kind == "never_paid":
                user = User.objects.create(username=f"n{n}@x.org", email=f"n{n}@x.org")
                users.append(user)
                charges.append(None)
                continue
            paid_from = NOV + (person.first_paid_day - 1) * DAY
            ended = None
            if person.kind == "cancelled":
                # Ended on the morning of its last day, or within its first hour.
                ended = max(
                    NOV + (person.last_paid_day - 1) * DAY,
                    paid_from + timedelta(hours=1),
                )
            user, charge = quick_subscriber(
                n,
                plan,
                paid_from=paid_from,
                paid_until=paid_from + 30 * DAY,
                charged_at=paid_from,
                ended_at=ended,
            )
            refunded = min(person.refund, plan.price_minor)
            if refunded:
                ledger_record_refund(
                    charge=charge,
                    amount_minor=refunded,
                    provider_ref="r",
                    key=f"nov-{n}",
                    now=paid_from + timedelta(hours=1),
                )
            users.append(user)
            charges.append(charge)
            net[user.pk] = plan.price_minor - refunded

        # The oracle: who streamed which payee on a paid day.
        streamed: dict[int, set[tuple[str, int]]] = defaultdict(set)
        seen: set[tuple[int, int, int]] = set()
        for who, which, day, seconds in month["plays"]:  # type: ignore[attr-defined]
            person_index = who % len(drawn)
            item = items[which % len(items)]
            if (person_index, which % len(items), day) in seen:
                continue  # one roll-up row per listener, item and day
            seen.add((person_index, which % len(items), day))
            listened(users[person_index], item, date(2026, 11, day), seconds=seconds)
            if seconds > 60 and day in _paid_days(drawn[person_index]):
                streamed[users[person_index].pk].add(payee_of(item))

        period = payout_period_close(month=NOV.date(), now=DEC + DAY)
        result = payouts_compute(month=NOV.date())
        statements = list(period.statements.all())
        pool = period.pool.get("MXN", {})

        # Statements sum to the distributed amount, to the minor unit.
        total = sum(s.amount_minor for s in statements)
        paid_out.append(total)
        assert total == pool.get("distributed", 0)
        caps = {
            user: amount * share.numerator // share.denominator
            for user, amount in net.items()
        }
        caps = {user: cap for user, cap in caps.items() if cap > 0}
        if month["rate"] is None:
            assert total == sum(cap for user, cap in caps.items() if streamed.get(user))
        # No payee earns from a subscriber who never streamed it; no
        # subscriber gives more than the cap.
        for (user, _currency), parts in result.contributions.items():
            assert set(parts) <= streamed[user]
            assert sum(parts.values()) <= caps[user]
            assert all(part >= 0 for part in parts.values())
        # Everyone with a cap who streamed something gave to what they streamed.
        for user, payees in streamed.items():
            if payees and user in caps:
                assert (user, "MXN") in result.contributions
        # A statement's subscribers are those who streamed its payee.
        for statement in statements:
            payee = (
                ("show", statement.show_id)
                if statement.show_id
                else ("book", statement.audiobook_id)
            )
            expected = sum(1 for user in caps if payee in streamed.get(user, set()))
            assert statement.subscribers == expected

        # Closing again changes nothing.
        before = sorted(Statement.objects.values_list("ledger_key", "amount_minor"))
        payables = PayableEntry.objects.count()
        payout_period_close(month=NOV.date(), now=DEC + 2 * DAY)
        assert (
            sorted(Statement.objects.values_list("ledger_key", "amount_minor"))
            == before
        )
        assert PayableEntry.objects.count() == payables

        # A refund after the close lands in December.
        refundable = [
            (c, net[c.user_id]) for c in charges if c is not None and net[c.user_id]
        ]
        if month["late_refund"] and refundable:
            charge, left = refundable[0]
            ledger_record_refund(
                charge=charge,
                amount_minor=left,
                provider_ref="late",
                key="late",
                now=DEC + 3 * DAY,
            )
            assert (
                sorted(Statement.objects.values_list("ledger_key", "amount_minor"))
                == before
            )
            december = payouts_compute(month=DEC.date())
            assert december.pools["MXN"].refunds_minor == left
            assert payouts_compute(month=NOV.date()).pools == result.pools

    check()
    # The draws are not all empty months.
    assert sum(1 for total in paid_out if total > 0) >= len(paid_out) // 3
