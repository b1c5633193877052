"""Closing a payout period: frozen, idempotent, in the ledger, reopened only
by an admin with an audit row; refunds after a close count in the next month."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from ondas.accounts.models import User
from ondas.analytics.models import PayoutAudit, PayoutPeriod, Statement
from ondas.analytics.payouts.errors import (
    PayoutMonthInvalid,
    PayoutPeriodNotClosed,
    PayoutPeriodNotOver,
)
from ondas.analytics.payouts.selectors import (
    statement_from_ledger,
    statements_csv,
    statements_for_show,
)
from ondas.analytics.payouts.services import (
    payout_month_parse,
    payout_period_close,
    payout_period_reopen,
)
from ondas.billing.models import LedgerEntry, PayableEntry
from ondas.billing.services import ledger_record_charge, ledger_record_refund
from ondas.core.errors import ErrorCode
from ondas.ops.cli import main
from tests.analytics.payouts_support import (
    listened,
    monthly_plan,
    quick_subscriber,
    show_with_episodes,
)

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
JAN = datetime(2027, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


class Month:
    """Two subscribers of November, one show each, and what they paid."""

    def __init__(self) -> None:
        plan = monthly_plan()
        (self.a,) = show_with_episodes("Ondas cortas", 1, at=NOV)
        (self.b,) = show_with_episodes("Bajo ruido", 1, at=NOV)
        self.alice, self.alice_charge = quick_subscriber(
            1, plan, paid_from=NOV, paid_until=DEC, charged_at=NOV
        )
        self.bob, self.bob_charge = quick_subscriber(
            2, plan, paid_from=NOV, paid_until=DEC, charged_at=NOV
        )
        listened(self.alice, self.a, (NOV + 3 * DAY).date(), seconds=900)
        listened(self.bob, self.a, (NOV + 4 * DAY).date(), seconds=300)
        listened(self.bob, self.b, (NOV + 5 * DAY).date(), seconds=900)


@pytest.fixture
def month(db: None) -> Month:
    return Month()


def test_close_writes_statements_and_payables_that_agree(month: Month) -> None:
    period = payout_period_close(month=NOV.date(), now=DEC + DAY)

    # Alice's 4,950 all to A; Bob's 4,950 split 300 : 900 → 1,237.5 and
    # 3,712.5 → the tie to the larger weight: 1,237 and 3,713.
    a = Statement.objects.get(period=period, show=month.a.show)
    b = Statement.objects.get(period=period, show=month.b.show)
    assert (a.amount_minor, a.streams, a.subscribers) == (4950 + 1237, 2, 2)
    assert (b.amount_minor, b.streams, b.subscribers) == (3713, 1, 1)
    assert a.ledger_key == f"payout:2026-11:show:{month.a.show_id}:MXN"
    payables = PayableEntry.objects.filter(month=NOV.date())
    assert sum(p.amount_minor for p in payables) == 9900
    for statement in (a, b):
        rebuilt = statement_from_ledger(
            month=NOV.date(), payee=f"show:{statement.show_id}", currency="MXN"
        )
        assert rebuilt is not None
        assert rebuilt.amount_minor == statement.amount_minor
        assert rebuilt.streams == statement.streams
        assert rebuilt.audio_seconds == statement.audio_seconds
        assert rebuilt.subscribers == statement.subscribers


def test_closing_twice_changes_nothing(month: Month) -> None:
    first = payout_period_close(month=NOV.date(), now=DEC + DAY)
    before = list(Statement.objects.values_list("ledger_key", "amount_minor"))
    # Listening that arrives late does not touch a closed period.
    listened(month.alice, month.b, (NOV + 20 * DAY).date(), seconds=3000)

    again = payout_period_close(month=NOV.date(), now=DEC + 2 * DAY)

    assert again.pk == first.pk
    assert again.closed_at == DEC + DAY
    assert list(Statement.objects.values_list("ledger_key", "amount_minor")) == before
    assert PayableEntry.objects.count() == 2
    assert PayoutAudit.objects.filter(action=PayoutAudit.Action.CLOSED).count() == 1


def test_a_month_not_over_cannot_close(month: Month) -> None:
    with pytest.raises(PayoutPeriodNotOver) as exc_info:
        payout_period_close(month=NOV.date(), now=DEC - timedelta(seconds=1))
    assert exc_info.value.code == ErrorCode.PAYOUT_PERIOD_NOT_OVER
    assert not PayoutPeriod.objects.filter(status=PayoutPeriod.Status.CLOSED).exists()


def test_refund_after_close_counts_in_the_next_month(month: Month) -> None:
    payout_period_close(month=NOV.date(), now=DEC + DAY)
    november = list(Statement.objects.values_list("ledger_key", "amount_minor"))
    # Bob renews on 1 Dec, then half of his November charge is refunded.
    ledger_record_charge(
        sub=month.bob_charge.subscription,  # type: ignore[arg-type]
        period_start=DEC,
        period_stop=JAN,
        provider_ref="test:renewal",
        now=DEC,
    )
    ledger_record_refund(
        charge=month.bob_charge,
        amount_minor=4950,
        provider_ref="test:refund",
        key="bob-half",
        now=DEC + 2 * DAY,
    )
    # Alice's whole November charge refunded in December: her December is 0.
    ledger_record_refund(
        charge=month.alice_charge,
        amount_minor=9900,
        provider_ref="test:refund",
        key="alice-all",
        now=DEC + 3 * DAY,
    )
    listened(month.bob, month.b, (DEC + 4 * DAY).date(), seconds=600)
    listened(month.alice, month.a, (DEC + 4 * DAY).date(), seconds=600)

    december = payout_period_close(month=DEC.date(), now=JAN + DAY)

    assert (
        list(
            Statement.objects.filter(period__month=NOV.date()).values_list(
                "ledger_key", "amount_minor"
            )
        )
        == november
    )
    assert december.pool["MXN"]["charges"] == 9900
    assert december.pool["MXN"]["refunds"] == 14850
    # Bob: 9,900 − 4,950 = 4,950 net, 2,475 for creators, all to B.
    assert december.pool["MXN"]["share"] == 2475
    assert [(s.show_id, s.amount_minor) for s in december.statements.all()] == [
        (month.b.show_id, 2475)
    ]


def test_reopen_reverses_payables_and_leaves_an_audit_row(month: Month) -> None:
    admin = User.objects.create_superuser("boss@example.com", "a long pass phrase")
    period = payout_period_close(month=NOV.date(), now=DEC + DAY)
    listened(month.alice, month.b, (NOV + 20 * DAY).date(), seconds=900)

    reopened = payout_period_reopen(
        period=period, acting_user=admin, reason="late reports", now=DEC + 2 * DAY
    )
    closed = payout_period_close(month=NOV.date(), now=DEC + 3 * DAY)

    assert reopened.generation == 1
    audit = PayoutAudit.objects.get(action=PayoutAudit.Action.REOPENED)
    assert audit.actor == admin
    assert audit.data["reason"] == "late reports"
    assert audit.data["amounts"] == {"MXN": 9900}
    assert audit.data["reversals"] == 2
    reversals = PayableEntry.objects.filter(kind=PayableEntry.Kind.REVERSAL)
    assert {r.reverses.idempotency_key for r in reversals if r.reverses} == {
        f"payout:2026-11:show:{month.a.show_id}:MXN",
        f"payout:2026-11:show:{month.b.show_id}:MXN",
    }
    # Alice now splits 900 : 900: 2,475 each; B has 3,713 + 2,475.
    b = closed.statements.get(show=month.b.show)
    assert b.ledger_key == f"payout:2026-11:r1:show:{month.b.show_id}:MXN"
    assert b.amount_minor == 3713 + 2475
    rebuilt = statement_from_ledger(
        month=NOV.date(), payee=f"show:{month.b.show_id}", currency="MXN"
    )
    assert rebuilt is not None
    assert rebuilt.amount_minor == b.amount_minor


def test_reopen_of_an_open_period_is_refused(month: Month) -> None:
    admin = User.objects.create_superuser("boss@example.com", "a long pass phrase")
    period = PayoutPeriod.objects.create(month=NOV.date())
    with pytest.raises(PayoutPeriodNotClosed) as exc_info:
        payout_period_reopen(period=period, acting_user=admin, reason="", now=DEC)
    assert exc_info.value.code == ErrorCode.PAYOUT_PERIOD_NOT_CLOSED


def test_admin_action_reopens_and_audits(month: Month, client: Client) -> None:
    admin = User.objects.create_superuser("boss@example.com", "a long pass phrase")
    period = payout_period_close(month=NOV.date(), now=DEC + DAY)
    client.force_login(admin)

    response = client.post(
        "/admin/analytics/payoutperiod/",
        {"action": "reopen", "_selected_action": [period.pk]},
    )

    assert response.status_code == 302
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.OPEN
    assert PayoutAudit.objects.get(action=PayoutAudit.Action.REOPENED).actor == admin
    assert not Statement.objects.exists()


def test_ondas_payouts_close_command(month: Month) -> None:
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ondas.core.clock.timezone_now", lambda: DEC + DAY)
        call_command("payouts_close", "2026-11", stdout=out)
        call_command("payouts_close", "2026-11", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "2026-11: closed, 2 statement(s)"
    assert "distributed $99.00 MXN (before provider fees)" in lines[1]
    assert lines[2] == lines[0]
    assert PayableEntry.objects.count() == 2


def test_ondas_payouts_close_refuses_a_bad_month(db: None) -> None:
    # The message is in the storefront's language, as Django commands run.
    with pytest.raises(CommandError, match="2026-13"):
        call_command("payouts_close", "2026-13")
    with pytest.raises(PayoutMonthInvalid):
        payout_month_parse("November")


def test_statements_for_show_and_csv(month: Month) -> None:
    payout_period_close(month=NOV.date(), now=DEC + DAY)

    rows = statements_for_show(show=month.a.show)
    with translation.override("en"):
        csv_text = statements_csv(rows)

    assert [(r.month, r.amount_minor, r.streams) for r in rows] == [
        (NOV.date(), 6187, 2)
    ]
    assert csv_text.splitlines() == [
        "month,premium streams,minutes,subscribers,amount,currency",
        "2026-11,2,20,2,61.87,MXN",
    ]
    assert statements_for_show(show=month.a.show, since=DEC.date()) == []


def test_ledger_keeps_no_fee_so_the_pool_says_so(month: Month) -> None:
    period = payout_period_close(month=NOV.date(), now=DEC + DAY)
    assert period.pool["MXN"]["fee_known"] is False
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGE).count() == 2


def test_refusals_are_translated(db: None) -> None:
    with translation.override("es"), pytest.raises(PayoutMonthInvalid) as exc_info:
        payout_month_parse("2026-13")
    assert exc_info.value.message == (
        "«2026-13» no es un mes: escríbelo como AAAA-MM, por ejemplo 2026-11."
    )


def test_ondas_cli_hands_payouts_close_to_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Run for real, the command closes the database connections when done
    # (as Django commands do), which would end the test's transaction.
    seen: list[list[str]] = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", seen.append)
    assert main(["payouts", "close", "2026-11"]) == 0
    assert seen == [["ondas payouts", "payouts_close", "2026-11"]]
