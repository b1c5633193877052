"""The subscription lifecycle under random sequences of events.

Hypothesis drives one person through starts, cancels, resumes, clock jumps,
repeated billing runs (a cron that fires twice), duplicated charge writes (a
webhook delivered again) and failing cards, and checks after every step:

- never two charges for one subscription and period;
- no access to exclusive episodes once a period is over (or the grace ended);
- never a second free trial for the same email or card;
- the ledger total equals the successful charges minus refunds.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ondas.accounts.models import User
from ondas.billing.errors import (
    AlreadySubscribed,
    SubscriptionAlreadyCancelled,
    SubscriptionNotResumable,
    TrialUnavailable,
)
from ondas.billing.models import (
    LedgerEntry,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionEvent,
    TrialClaim,
)
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.selectors import ledger_balance_minor, listening_rights
from ondas.billing.services import (
    billing_run,
    ledger_record_charge,
    ledger_record_refund,
    plan_create,
    subscription_cancel,
    subscription_resume,
    subscription_start,
)
from tests.support.billing import FAILS_RENEWAL, GOOD_CARD, T0

Status = Subscription.Status
CARDS = [GOOD_CARD, FAILS_RENEWAL, "5555 5555 5555 4444"]


class BillingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.plan: Plan = plan_create(
            slug="premium",
            name="Premium",
            price_minor=9900,
            currency="MXN",
            trial_days=7,
            includes_exclusive=True,
            past_due_keeps_access=True,
        )
        self.user = User.objects.create_user("ana@example.com", "a long pass phrase")
        self.now = T0
        self.refunds = 0

    def teardown(self) -> None:
        # The services are durable: they refuse to run inside a savepoint that
        # could roll each example back, so each example removes what it wrote.
        LedgerEntry.objects.filter(kind="refund").delete()
        LedgerEntry.objects.all().delete()
        PaymentAttempt.objects.all().delete()
        TrialClaim.objects.all().delete()
        SubscriptionEvent.objects.all().delete()
        Subscription.objects.all().delete()
        Plan.objects.all().delete()
        User.objects.all().delete()

    def live(self) -> Subscription | None:
        return Subscription.objects.filter(
            user=self.user, status__in=Subscription.LIVE
        ).first()

    @rule(card=st.sampled_from(CARDS), accept=st.booleans())
    def start(self, card: str, accept: bool) -> None:
        try:
            subscription_start(
                user=self.user,
                plan=self.plan,
                payment_method=payment_method_from_test_card(card),
                now=self.now,
                accept_charge=accept,
            )
        except AlreadySubscribed:
            assert self.live() is not None
        except TrialUnavailable:
            # Nothing charged, nothing started: the person was not asked yet.
            assert not accept
            assert self.live() is None

    @rule()
    def cancel(self) -> None:
        sub = self.live()
        if sub is None:
            return
        try:
            subscription_cancel(subscription=sub, acting_user=self.user, now=self.now)
        except SubscriptionAlreadyCancelled:
            assert sub.cancel_at_period_end

    @rule()
    def resume(self) -> None:
        sub = Subscription.objects.filter(user=self.user).first()
        if sub is None:
            return
        try:
            subscription_resume(subscription=sub, acting_user=self.user, now=self.now)
        except SubscriptionNotResumable:
            pass

    @rule(
        jump=st.one_of(
            st.integers(min_value=0, max_value=3 * 24 * 3600).map(
                lambda s: timedelta(seconds=s)
            ),
            st.integers(min_value=1, max_value=70).map(lambda d: timedelta(days=d)),
        )
    )
    def clock_jumps(self, jump: timedelta) -> None:
        self.now += jump

    @rule(times=st.integers(min_value=1, max_value=3))
    def billing_runs(self, times: int) -> None:
        for _ in range(times):
            billing_run(now=self.now)

    @precondition(lambda self: LedgerEntry.objects.filter(kind="charge").exists())
    @rule()
    def charge_delivered_again(self) -> None:
        """A payment webhook arrives a second time for a charge already written."""
        charge = LedgerEntry.objects.filter(kind="charge").order_by("?").first()
        assert charge is not None and charge.subscription is not None
        ledger_record_charge(
            sub=charge.subscription,
            period_start=charge.period_start,
            period_stop=charge.period_end,
            provider_ref="replayed",
            now=self.now,
        )

    @precondition(lambda self: LedgerEntry.objects.filter(kind="charge").exists())
    @rule(amount=st.integers(min_value=1, max_value=9900), key=st.sampled_from("abc"))
    def refund(self, amount: int, key: str) -> None:
        charge = LedgerEntry.objects.filter(kind="charge").first()
        assert charge is not None
        try:
            ledger_record_refund(
                charge=charge,
                amount_minor=amount,
                provider_ref="r",
                key=key,
                now=self.now,
            )
        except ValueError:
            pass

    @invariant()
    def one_charge_per_period(self) -> None:
        periods = Counter(
            LedgerEntry.objects.filter(kind="charge").values_list(
                "subscription", "period_start"
            )
        )
        assert all(count == 1 for count in periods.values()), periods

    @invariant()
    def no_access_after_the_period(self) -> None:
        rights = listening_rights(user=self.user, now=self.now)
        sub = self.live()
        if rights.exclusive:
            assert sub is not None
            if sub.status == Status.PAST_DUE:
                assert sub.next_retry_at is not None  # grace only while retrying
            else:
                assert sub.current_period_start <= self.now < sub.current_period_end

    @invariant()
    def never_a_second_trial(self) -> None:
        trials = Subscription.objects.filter(
            user=self.user, trial_end__isnull=False
        ).count()
        assert trials <= 1
        assert TrialClaim.objects.count() == trials

    @invariant()
    def ledger_matches_successful_charges(self) -> None:
        paid = PaymentAttempt.objects.filter(status="succeeded").aggregate(
            t=Sum("amount_minor")
        )
        refunded = LedgerEntry.objects.filter(kind="refund").aggregate(
            t=Sum("amount_minor")
        )
        expected = (paid["t"] or 0) - (refunded["t"] or 0)
        assert ledger_balance_minor(currency="MXN") == expected


@pytest.mark.django_db
def test_subscription_lifecycle_invariants() -> None:
    run_state_machine_as_test(
        BillingMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
