"""The numbers page's "what the show earned": the statements of closed months."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ondas.analytics.payouts.services import payout_period_close
from tests.analytics.payouts_support import listened, monthly_plan, quick_subscriber
from tests.web.numbers_data import NumbersCast

pytestmark = pytest.mark.django_db

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)


def _client(cast: NumbersCast, language: str = "en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(cast.owner)
    return client


def test_no_closed_month_says_statements_come_later(numbers_cast: NumbersCast) -> None:
    page = _client(numbers_cast).get(
        reverse("web:numbers-show", args=[numbers_cast.show.pk])
    )
    html = page.content.decode()
    assert 'id="earnings-note"' in html and 'id="statements"' not in html


def test_a_closed_month_shows_its_statement_and_the_csv_agrees(
    numbers_cast: NumbersCast,
) -> None:
    plan = monthly_plan(price_minor=9900)
    user, _charge = quick_subscriber(
        1, plan, paid_from=NOV, paid_until=DEC, charged_at=NOV + timedelta(hours=1)
    )
    listened(
        user, numbers_cast.episodes[0], (NOV + timedelta(days=3)).date(), seconds=600
    )
    payout_period_close(month=NOV.date(), now=DEC + timedelta(days=1))
    client = _client(numbers_cast)

    html = client.get(
        reverse("web:numbers-show", args=[numbers_cast.show.pk])
    ).content.decode()
    body = client.get(
        reverse("web:numbers-show-csv", args=[numbers_cast.show.pk, "statements"])
    )

    assert 'id="statements"' in html and 'id="earnings-note"' not in html
    assert "2026-11" in html
    rows = list(csv.reader(io.StringIO(body.content.decode())))
    # Half of the subscriber's 99.00, all to the one show they heard.
    assert rows[1] == ["2026-11", "1", "10", "1", "49.50", plan.currency]
    assert "49.50" in html


def test_another_show_sees_none_of_this_shows_statements(
    numbers_cast: NumbersCast,
) -> None:
    plan = monthly_plan()
    user, _charge = quick_subscriber(
        2, plan, paid_from=NOV, paid_until=DEC, charged_at=NOV + timedelta(hours=1)
    )
    listened(
        user, numbers_cast.episodes[0], (NOV + timedelta(days=3)).date(), seconds=600
    )
    payout_period_close(month=NOV.date(), now=DEC + timedelta(days=1))
    client = Client()
    client.force_login(numbers_cast.other_owner)
    url = reverse("web:numbers-show-csv", args=[numbers_cast.show.pk, "statements"])

    assert client.get(url).status_code == 404
