"""Payouts by consumption: worked examples, each rule on its own.

Subscribers subscribe through billing's services; listening goes through
playback's heard spans and the listening roll-up, as the players' reports do.
Cents are worked out by hand in each test's comments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.analytics.listening import listening_rollup
from ondas.analytics.payouts.engine import payouts_compute
from ondas.analytics.payouts.services import payout_period_close
from ondas.analytics.payouts.split import largest_remainder, share_of
from ondas.billing.models import LedgerEntry, Plan, Subscription
from ondas.billing.services import billing_run, subscription_cancel
from ondas.catalog.models import Episode
from ondas.playback.heard import heard_spans_keep
from ondas.playback.services import PlayedInterval
from tests.accounts.factories import user_make
from tests.analytics.payouts_support import (
    book_make,
    listened,
    monthly_plan,
    show_with_episodes,
)
from tests.support.billing import subscribe

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
DAY = timedelta(days=1)
MONTH = NOV.date()


def hear(
    user: User, episode: Episode, seconds: float, *, at: datetime, rate: float = 1.0
) -> None:
    """``seconds`` of the episode's timeline heard from its start at ``rate``."""
    heard_spans_keep(
        user=user,
        episode=episode,
        intervals=[PlayedInterval(start=0, end=seconds, rate=rate)],
        now=at,
    )


@pytest.fixture
def plan(db: None) -> Plan:
    return monthly_plan()


@pytest.fixture
def shows(db: None) -> tuple[list[Episode], list[Episode]]:
    return (
        show_with_episodes("Ondas cortas", 2, at=NOV),
        show_with_episodes("Bajo ruido", 1, at=NOV),
    )


# The split's arithmetic -----------------------------------------------------


def test_largest_remainder_parts_sum_to_the_total() -> None:
    parts = largest_remainder(100, {("show", 1): 1, ("show", 2): 1, ("show", 3): 1})
    # 33.33 each: the one unit left goes to the smallest key on a full tie.
    assert parts == {("show", 1): 34, ("show", 2): 33, ("show", 3): 33}
    assert sum(parts.values()) == 100


def test_largest_remainder_gives_leftover_to_largest_remainders() -> None:
    # 10 split 1:2:7 is 1.0, 2.0, 7.0; 11 is 1.1, 2.2, 7.7: the unit goes to 7.7.
    weights = {("show", 1): 1, ("show", 2): 2, ("show", 3): 7}
    assert largest_remainder(11, weights) == {
        ("show", 1): 1,
        ("show", 2): 2,
        ("show", 3): 8,
    }


def test_largest_remainder_refuses_nonpositive_weights() -> None:
    with pytest.raises(ValueError, match="positive"):
        largest_remainder(10, {("show", 1): 0, ("show", 2): 5})


def test_share_of_rounds_down() -> None:
    from fractions import Fraction

    assert share_of(9999, Fraction(1, 2)) == 4999
    assert share_of(9900, Fraction(1, 2)) == 4950


# Worked examples --------------------------------------------------------------


def test_two_subscribers_two_shows_worked_example(
    plan: Plan, shows: tuple[list[Episode], list[Episode]]
) -> None:
    (a1, a2), (b1,) = shows
    alice = user_make(email="alice@example.com")
    bob = user_make(email="bob@example.com")
    subscribe(alice, plan, now=NOV + 1 * DAY)  # 9,900 charged 2 Nov
    subscribe(bob, plan, now=NOV + 4 * DAY)  # 9,900 charged 5 Nov
    hear(alice, a1, 1800, at=NOV + 2 * DAY)
    hear(alice, b1, 600, at=NOV + 3 * DAY)
    hear(bob, a2, 1000, at=NOV + 5 * DAY)
    hear(bob, b1, 2000, at=NOV + 6 * DAY)
    hear(bob, a1, 50, at=NOV + 7 * DAY)  # not a play: pays nothing
    listening_rollup()

    period = payout_period_close(month=MONTH, now=DEC + DAY)

    # Each gives 4,950. Alice: 1,800 s : 600 s → 3,712.5 and 1,237.5; the
    # tie of remainders goes to the larger weight: 3,713 and 1,237.
    # Bob: 1,000 s : 2,000 s → 1,650 and 3,300 exactly.
    statements = {s.show_id: s for s in period.statements.all()}
    show_a, show_b = a1.show_id, b1.show_id
    assert statements[show_a].amount_minor == 3713 + 1650
    assert statements[show_b].amount_minor == 1237 + 3300
    assert statements[show_a].streams == 2
    assert statements[show_b].streams == 2
    assert statements[show_a].subscribers == 2
    assert statements[show_a].minutes == (1800 + 1000) // 60
    assert statements[show_b].minutes == (600 + 2000) // 60
    assert period.pool["MXN"] == {
        "charges": 19800,
        "refunds": 0,
        "net": 19800,
        "share": 9900,
        "distributed": 9900,
        "fee_known": False,
    }


def test_thirty_minutes_at_2x_weigh_as_sixty_minutes(
    plan: Plan, shows: tuple[list[Episode], list[Episode]]
) -> None:
    (a1, _a2), (b1,) = shows
    alice = user_make(email="alice@example.com")
    subscribe(alice, plan, now=NOV + 1 * DAY)
    hear(alice, a1, 3600, at=NOV + 2 * DAY, rate=2.0)  # 30 min of wall time
    hear(alice, b1, 3600, at=NOV + 3 * DAY)  # 60 min of wall time
    listening_rollup()

    result = payouts_compute(month=MONTH)

    assert {line.payee[1]: line.amount_minor for line in result.lines} == {
        a1.show_id: 2475,
        b1.show_id: 2475,
    }


def test_trial_listening_pays_nothing_by_default(
    shows: tuple[list[Episode], list[Episode]], settings: Settings
) -> None:
    (a1, _a2), (b1,) = shows
    trial_plan = monthly_plan(trial_days=7)
    alice = user_make(email="alice@example.com")
    subscribe(alice, trial_plan, now=NOV)  # trial to 8 Nov, then charged
    billing_run(now=NOV + 7 * DAY + timedelta(hours=1))
    assert LedgerEntry.objects.filter(user=alice).count() == 1
    hear(alice, a1, 1200, at=NOV + 2 * DAY)  # in the trial
    hear(alice, b1, 600, at=NOV + 10 * DAY)  # paid for
    listening_rollup()

    result = payouts_compute(month=MONTH)
    assert {line.payee[1]: line.amount_minor for line in result.lines} == {
        b1.show_id: 4950
    }

    settings.ONDAS_PAYOUT_TRIAL_LISTENING_PAYS = True
    # 1,200 : 600 of 4,950 → 3,300 and 1,650.
    result = payouts_compute(month=MONTH)
    assert {line.payee[1]: line.amount_minor for line in result.lines} == {
        a1.show_id: 3300,
        b1.show_id: 1650,
    }


def test_listening_after_a_subscription_ended_pays_nothing(
    plan: Plan, shows: tuple[list[Episode], list[Episode]]
) -> None:
    (a1, _a2), (b1,) = shows
    alice = user_make(email="alice@example.com")
    sub = subscribe(alice, plan, now=NOV + 1 * DAY)
    hear(alice, a1, 600, at=NOV + 3 * DAY)
    # Overdue and cancelled: it ends at once, on 15 Nov.
    Subscription.objects.filter(pk=sub.pk).update(status=Subscription.Status.PAST_DUE)
    subscription_cancel(subscription=sub, acting_user=alice, now=NOV + 14 * DAY)
    hear(alice, b1, 600, at=NOV + 20 * DAY)
    listening_rollup()

    result = payouts_compute(month=MONTH)

    assert {line.payee[1]: line.amount_minor for line in result.lines} == {
        a1.show_id: 4950
    }


def test_subscriber_who_streamed_nothing_distributes_nothing(
    plan: Plan, shows: tuple[list[Episode], list[Episode]]
) -> None:
    subscribe(user_make(email="quiet@example.com"), plan, now=NOV + DAY)

    result = payouts_compute(month=MONTH)

    assert result.lines == []
    assert result.pools["MXN"].share_minor == 4950
    assert result.pools["MXN"].distributed_minor == 0


def test_fixed_rate_per_stream_is_capped_at_the_share(
    plan: Plan, shows: tuple[list[Episode], list[Episode]], settings: Settings
) -> None:
    (a1, a2), (b1,) = shows
    settings.ONDAS_PAYOUT_STREAM_RATE_MINOR = 1000
    light = user_make(email="light@example.com")
    heavy = user_make(email="heavy@example.com")
    subscribe(light, plan, now=NOV + DAY)
    subscribe(heavy, plan, now=NOV + DAY)
    hear(light, a1, 300, at=NOV + 2 * DAY)  # 1 stream: owes 1,000
    for day in range(2, 5):  # 3 days × 2 episodes of A, and B once: 7 streams
        hear(heavy, a1, 300, at=NOV + day * DAY)
        hear(heavy, a2, 300, at=NOV + day * DAY + timedelta(hours=2))
    hear(heavy, b1, 300, at=NOV + 6 * DAY)
    listening_rollup()

    result = payouts_compute(month=MONTH)

    # light: 1,000 (under the cap). heavy owes 7,000 > 4,950: the cap, split
    # 6 : 1 → 4,242.86 and 707.14 → 4,243 and 707.
    assert result.contributions[(light.pk, "MXN")] == {("show", a1.show_id): 1000}
    assert result.contributions[(heavy.pk, "MXN")] == {
        ("show", a1.show_id): 4243,
        ("show", b1.show_id): 707,
    }
    assert result.pools["MXN"].distributed_minor == 1000 + 4950


def test_a_month_is_a_month_in_the_operators_time_zone(
    plan: Plan, shows: tuple[list[Episode], list[Episode]], settings: Settings
) -> None:
    settings.TIME_ZONE = "America/Mexico_City"  # UTC-6 in November
    (a1, _a2), _b = shows
    late = user_make(email="late@example.com")
    # 23:30 on 30 Nov in Mexico City is 05:30 on 1 Dec in UTC: November's.
    subscribe(late, plan, now=datetime(2026, 12, 1, 5, 30, tzinfo=UTC))
    hear(late, a1, 600, at=datetime(2026, 12, 1, 5, 40, tzinfo=UTC))
    listening_rollup()

    result = payouts_compute(month=MONTH)

    assert result.pools["MXN"].charges_minor == 9900
    assert [line.amount_minor for line in result.lines] == [4950]


def test_audiobook_listening_pays_the_book_by_the_same_rule(
    plan: Plan, shows: tuple[list[Episode], list[Episode]]
) -> None:
    (a1, _a2), _b = shows
    book = book_make("Libro largo", at=NOV)
    alice = user_make(email="alice@example.com")
    subscribe(alice, plan, now=NOV + DAY)
    listened(alice, a1, (NOV + 2 * DAY).date(), seconds=1800)
    listened(alice, book, (NOV + 3 * DAY).date(), seconds=1800)
    listened(alice, book, (NOV + 4 * DAY).date(), seconds=1800)

    result = payouts_compute(month=MONTH)

    # 1,800 s : 3,600 s of 4,950 → 1,650 and 3,300; the book has two streams.
    lines = {line.payee: line for line in result.lines}
    assert lines[("show", a1.show_id)].amount_minor == 1650
    assert lines[("book", book.pk)].amount_minor == 3300
    assert lines[("book", book.pk)].streams == 2


def test_audiobook_hours_have_their_own_rate(
    plan: Plan, shows: tuple[list[Episode], list[Episode]], settings: Settings
) -> None:
    (a1, _a2), _b = shows
    settings.ONDAS_PAYOUT_STREAM_RATE_MINOR = 1000
    settings.ONDAS_PAYOUT_BOOK_HOUR_RATE_MINOR = 600
    book = book_make("Libro largo", at=NOV)
    alice = user_make(email="alice@example.com")
    subscribe(alice, plan, now=NOV + DAY)
    listened(alice, a1, (NOV + 2 * DAY).date(), seconds=1800)
    listened(alice, book, (NOV + 3 * DAY).date(), seconds=5400)

    result = payouts_compute(month=MONTH)

    # One stream: 1,000; an hour and a half of the book at 600: 900. Under the
    # cap of 4,950, so both are paid as owed.
    assert result.contributions[(alice.pk, "MXN")] == {
        ("show", a1.show_id): 1000,
        ("book", book.pk): 900,
    }
