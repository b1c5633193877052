from datetime import datetime, timedelta

import pytest
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks as CaptureOnCommit

from ondas.accounts.models import User
from ondas.billing import providers
from ondas.billing.errors import (
    AlreadySubscribed,
    PaymentDeclined,
    PaymentMethodRefused,
    SubscriptionAlreadyCancelled,
    SubscriptionNotResumable,
    TrialRefusal,
    TrialUnavailable,
)
from ondas.billing.models import LedgerEntry, PaymentAttempt, Plan, Subscription
from ondas.billing.providers import ChargeResult
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.selectors import ledger_balance_minor, listening_rights
from ondas.billing.services import (
    billing_run,
    ledger_record_charge,
    ledger_record_refund,
    subscription_advance,
    subscription_cancel,
    subscription_record_offline_payment,
    subscription_resume,
    subscription_start,
)
from ondas.core.errors import ErrorCode
from tests.support.billing import DECLINED, FAILS_RENEWAL, GOOD_CARD, OTHER_CARD, T0

Status = Subscription.Status
DAY = timedelta(days=1)


def _start(
    user: User,
    plan: Plan,
    card: str = GOOD_CARD,
    now: datetime = T0,
    *,
    accept_charge: bool = False,
) -> Subscription:
    return subscription_start(
        user=user,
        plan=plan,
        payment_method=payment_method_from_test_card(card),
        now=now,
        accept_charge=accept_charge,
    )


def test_start_gives_a_seven_day_trial_without_charging(
    subscription: Subscription,
) -> None:
    assert subscription.status == Status.TRIALING
    assert subscription.current_period_end == T0 + 7 * DAY
    assert subscription.trial_end == T0 + 7 * DAY
    assert not LedgerEntry.objects.exists()
    assert [e.kind for e in subscription.events.all()] == ["started"]


def test_start_twice_is_refused(
    subscription: Subscription, user: User, premium: Plan
) -> None:
    with pytest.raises(AlreadySubscribed) as exc_info:
        _start(user, premium)
    assert exc_info.value.code == ErrorCode.ALREADY_SUBSCRIBED


def test_trial_end_charges_once_and_activates(
    subscription: Subscription,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    end = subscription.current_period_end
    with django_capture_on_commit_callbacks(execute=True):
        billing_run(now=end)
        billing_run(now=end)  # a second cron run at the same moment changes nothing
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE
    assert subscription.current_period_start == end
    assert subscription.current_period_end == end.replace(month=end.month + 1)
    charges = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGE)
    assert [(c.amount_minor, c.currency) for c in charges] == [(9900, "MXN")]
    assert len(mail.outbox) == 1
    assert "$99.00 MXN" in mail.outbox[0].body


def test_cancel_in_trial_keeps_access_until_the_end_and_never_charges(
    cancelled_subscription: Subscription, user: User
) -> None:
    assert cancelled_subscription.status == Status.TRIALING
    assert listening_rights(user=user, now=T0 + 6 * DAY).exclusive is True
    billing_run(now=T0 + 7 * DAY)
    cancelled_subscription.refresh_from_db()
    assert cancelled_subscription.status == Status.CANCELED
    assert listening_rights(user=user, now=T0 + 7 * DAY).exclusive is False
    assert not LedgerEntry.objects.exists()


def test_cancel_twice_is_refused(
    cancelled_subscription: Subscription, user: User
) -> None:
    with pytest.raises(SubscriptionAlreadyCancelled):
        subscription_cancel(
            subscription=cancelled_subscription, acting_user=user, now=T0
        )


def test_resume_before_the_end_renews_as_before(
    cancelled_subscription: Subscription, user: User
) -> None:
    subscription_resume(
        subscription=cancelled_subscription, acting_user=user, now=T0 + DAY
    )
    billing_run(now=T0 + 7 * DAY)
    cancelled_subscription.refresh_from_db()
    assert cancelled_subscription.status == Status.ACTIVE
    assert LedgerEntry.objects.count() == 1
    kinds = [e.kind for e in cancelled_subscription.events.all()]
    assert kinds == ["started", "cancel_requested", "resumed", "trial_converted"]


def test_resume_after_the_end_is_refused(
    cancelled_subscription: Subscription, user: User
) -> None:
    billing_run(now=T0 + 8 * DAY)
    with pytest.raises(SubscriptionNotResumable):
        subscription_resume(
            subscription=cancelled_subscription, acting_user=user, now=T0 + 8 * DAY
        )


def test_one_trial_per_email_and_no_charge_until_agreed(
    subscription: Subscription, user: User, premium: Plan, english: None
) -> None:
    subscription_cancel(subscription=subscription, acting_user=user, now=T0)
    billing_run(now=T0 + 7 * DAY)
    later = T0 + 10 * DAY
    with pytest.raises(TrialUnavailable) as exc_info:
        _start(user, premium, card=OTHER_CARD, now=later)  # another card: no help
    assert exc_info.value.code == ErrorCode.TRIAL_UNAVAILABLE
    assert exc_info.value.reason == TrialRefusal.EMAIL
    assert exc_info.value.message == (
        "Your email address has already had a free trial, so there is none this "
        "time: if you go on, you will be charged $99.00 MXN today."
    )
    assert Subscription.objects.filter(user=user).count() == 1  # the ended one
    assert not PaymentAttempt.objects.exists()

    again = _start(user, premium, now=later, accept_charge=True)
    assert again.status == Status.ACTIVE  # no second trial: charged at once
    assert again.trial_end is None
    assert LedgerEntry.objects.filter(subscription=again).count() == 1


def test_one_trial_per_card_and_no_charge_until_agreed(
    subscription: Subscription, premium: Plan
) -> None:
    other = User.objects.create_user("otra@example.com", "another long phrase")
    with pytest.raises(TrialUnavailable) as exc_info:
        _start(other, premium)
    assert exc_info.value.reason == TrialRefusal.CARD
    assert exc_info.value.data == {
        "reason": "card",
        "amount_minor": 9900,
        "currency": "MXN",
    }
    assert not Subscription.objects.filter(user=other).exists()
    assert not PaymentAttempt.objects.exists()

    second = _start(other, premium, accept_charge=True)
    assert second.status == Status.ACTIVE
    assert second.trial_end is None
    assert LedgerEntry.objects.get(subscription=second).amount_minor == 9900


def test_another_card_without_a_trial_gets_one(
    subscription: Subscription, premium: Plan
) -> None:
    other = User.objects.create_user("otra@example.com", "another long phrase")
    sub = _start(other, premium, card=OTHER_CARD)
    assert sub.status == Status.TRIALING
    assert not LedgerEntry.objects.exists()


def test_a_plan_without_trial_charges_without_asking(user: User, plan: Plan) -> None:
    """Its offer never spoke of a trial, so paying at once surprises nobody."""
    sub = _start(user, plan)
    assert sub.status == Status.ACTIVE
    assert LedgerEntry.objects.filter(subscription=sub).count() == 1


def test_declined_first_charge_leaves_nothing(
    subscription: Subscription,
    user: User,
    premium: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscription_cancel(subscription=subscription, acting_user=user, now=T0)
    billing_run(now=T0 + 7 * DAY)  # the trial is used up: the next start is charged

    class DecliningGateway:  # the outside world says no
        name = "offline"

        def charge(self, **kwargs: object) -> ChargeResult:
            return ChargeResult(ok=False, failure_reason="card_declined")

        def set_cancel_at_period_end(self, **kwargs: object) -> None: ...

        def cancel_now(self, **kwargs: object) -> None: ...

    monkeypatch.setitem(providers._PROVIDERS, "offline", DecliningGateway())
    with pytest.raises(PaymentDeclined) as exc_info:
        _start(user, premium, now=T0 + 8 * DAY, accept_charge=True)
    assert exc_info.value.http_status == 402
    assert Subscription.objects.filter(user=user).count() == 1  # only the ended one
    assert not PaymentAttempt.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_declined_test_card_is_refused_when_added() -> None:
    with pytest.raises(PaymentDeclined):
        payment_method_from_test_card(DECLINED)


def test_real_card_numbers_are_refused() -> None:
    with pytest.raises(PaymentMethodRefused):
        payment_method_from_test_card("4111 1111 1111 1111")


def test_failed_renewal_retries_on_days_1_3_5_then_expires(
    user: User, premium: Plan
) -> None:
    sub = _start(user, premium, card=FAILS_RENEWAL)
    end = sub.current_period_end
    billing_run(now=end)
    sub.refresh_from_db()
    assert sub.status == Status.PAST_DUE
    assert sub.next_retry_at == end + DAY
    assert listening_rights(user=user, now=end + DAY / 2).exclusive is True  # grace
    for day, status in [
        (1, Status.PAST_DUE),
        (3, Status.PAST_DUE),
        (5, Status.EXPIRED),
    ]:
        billing_run(now=end + day * DAY)
        sub.refresh_from_db()
        assert sub.status == status, day
    assert PaymentAttempt.objects.filter(subscription=sub).count() == 4
    assert not LedgerEntry.objects.exists()
    assert listening_rights(user=user, now=end + 6 * DAY).exclusive is False


def test_past_due_without_grace_loses_access(user: User, premium: Plan) -> None:
    premium.past_due_keeps_access = False
    premium.save(update_fields=["past_due_keeps_access"])
    sub = _start(user, premium, card=FAILS_RENEWAL)
    billing_run(now=sub.current_period_end)
    assert listening_rights(user=user, now=sub.current_period_end).exclusive is False


def test_offline_payment_recovers_a_past_due_subscription(
    user: User, premium: Plan
) -> None:
    staff = User.objects.create_superuser("ops@example.com", "staff pass phrase")
    sub = _start(user, premium, card=FAILS_RENEWAL)
    end = sub.current_period_end
    billing_run(now=end)
    subscription_record_offline_payment(
        subscription=sub, acting_user=staff, reference="transfer 881", now=end + DAY
    )
    sub.refresh_from_db()
    assert sub.status == Status.ACTIVE
    assert LedgerEntry.objects.get().provider_ref == "transfer 881"


def test_charge_write_is_idempotent(subscription: Subscription) -> None:
    end = subscription.current_period_end
    billing_run(now=end)
    subscription.refresh_from_db()
    again = ledger_record_charge(
        sub=subscription,
        period_start=subscription.current_period_start,
        period_stop=subscription.current_period_end,
        provider_ref="dup",
        now=end,
    )
    assert LedgerEntry.objects.count() == 1
    assert again.provider_ref != "dup"


def test_refunds_never_exceed_the_charge(subscription: Subscription) -> None:
    billing_run(now=subscription.current_period_end)
    charge = LedgerEntry.objects.get()
    ledger_record_refund(
        charge=charge, amount_minor=4000, provider_ref="r1", key="a", now=T0
    )
    ledger_record_refund(
        charge=charge, amount_minor=4000, provider_ref="r1", key="a", now=T0
    )
    with pytest.raises(ValueError):
        ledger_record_refund(
            charge=charge, amount_minor=6000, provider_ref="r2", key="b", now=T0
        )
    assert ledger_balance_minor(currency="MXN") == 5900


def test_a_missed_period_is_not_billed(subscription: Subscription) -> None:
    """If billing did not run for months, the next period starts now, charged once."""
    late = subscription.current_period_end + 90 * DAY
    subscription_advance(subscription=subscription, now=late)
    subscription.refresh_from_db()
    assert subscription.current_period_start == late
    assert LedgerEntry.objects.count() == 1


def test_trial_reminder_is_sent_once(
    subscription: Subscription,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = billing_run(now=T0 + 5 * DAY + timedelta(hours=13))
        assert report.reminders == 1
        assert billing_run(now=T0 + 6 * DAY).reminders == 0
    assert len(mail.outbox) == 1
    assert "ana@example.com" in mail.outbox[0].to


def test_anonymous_has_no_rights() -> None:
    from django.contrib.auth.models import AnonymousUser

    rights = listening_rights(user=AnonymousUser(), now=T0)
    assert rights.exclusive is False
    assert rights.audiobook_seconds_per_period == 0


def test_rights_carry_the_audiobook_allowance(
    subscription: Subscription, user: User
) -> None:
    rights = listening_rights(user=user, now=T0)
    assert rights.audiobook_seconds_per_period == 20 * 3600
    assert rights.period_end == T0 + 7 * DAY


def test_billing_run_command_renews_what_is_due(
    subscription: Subscription, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command

    from ondas.ops.cli import _cmd_billing, build_parser

    end = subscription.current_period_end.isoformat()
    # `ondas billing run --now …` reaches the billing_run command …
    args = build_parser().parse_args(["billing", "run", "--now", end])
    assert (args.func, args.now) == (_cmd_billing, end)
    # … which is run here through call_command: run_from_argv would close the
    # test's database connection when it finishes.
    call_command("billing_run", "--now", end)
    assert "advanced 1 subscription(s)" in capsys.readouterr().out
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE


def test_billing_run_command_refuses_naive_times(subscription: Subscription) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="time zone"):
        call_command("billing_run", "--now", "2026-01-01T00:00")
