"""Download my data: one JSON file, every section, never a secret."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.timezone import now as timezone_now

from ondas.analytics.listening import listening_rollup
from ondas.billing.models import LedgerEntry, Subscription
from ondas.feedkeys.models import PrivateFeedKey
from tests.accounts.privacy_support import History, history_make

pytestmark = pytest.mark.django_db

SECTIONS = {
    "format",
    "account",
    "follows",
    "progress",
    "bookmarks",
    "listening_days",
    "subscriptions",
    "ledger",
    "private_feeds",
    "studio_memberships",
}


@pytest.fixture
def history(db: None) -> History:
    made = history_make(now=timezone_now())
    listening_rollup()
    return made


def _export(history: History) -> tuple[str, dict[str, object]]:
    client = Client()
    client.force_login(history.person)
    response = client.get(reverse("accounts:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return text, json.loads(text)


def test_export_has_every_section_about_this_person(history: History) -> None:
    _text, data = _export(history)
    assert set(data) == SECTIONS
    assert data["account"]["email"] == "privada@example.com"  # type: ignore[index]
    assert [f["show"] for f in data["follows"]] == ["Ondas cortas"]  # type: ignore[attr-defined]
    assert data["progress"][0]["title"] == "Episodio uno"  # type: ignore[index]
    assert data["progress"][0]["position_seconds"] == 300.0  # type: ignore[index]
    assert data["bookmarks"][0]["note"] == "aquí"  # type: ignore[index]
    # 600 s of audio heard at 2x: ten minutes heard in five.
    (day,) = data["listening_days"]  # type: ignore[misc]
    assert (day["title"], day["audio_seconds"], day["wall_seconds"]) == (
        "Episodio uno",
        600.0,
        300.0,
    )
    assert day["played"] is True
    (sub,) = data["subscriptions"]  # type: ignore[misc]
    assert sub["plan"] == "Premium"
    ledger = data["ledger"]
    assert [e["amount_minor"] for e in ledger] == [  # type: ignore[attr-defined]
        e.amount_minor
        for e in LedgerEntry.objects.filter(user=history.person).order_by("pk")
    ]
    assert ledger  # the first month was charged at once
    (key,) = data["private_feeds"]  # type: ignore[misc]
    assert set(key) == {"show", "origin", "created_at", "revoked_at", "last_used_at"}
    assert data["studio_memberships"] == []


def test_export_holds_no_secret_and_nothing_of_others(history: History) -> None:
    text, _data = _export(history)
    person = history.person
    person.refresh_from_db()
    key = PrivateFeedKey.objects.get(user=person)
    token = key.token()
    sub = Subscription.objects.get(user=person)
    secrets = [person.password, key.seed, key.token_hash, token]
    secrets += [sub.provider_ref, sub.provider_customer_ref, sub.payment_method_ref]
    for secret in filter(None, secrets):
        assert secret not in text
    for word in ("password", "pbkdf2", "token", "seed", "provider_ref"):
        assert word not in text
    assert "otra@example.com" not in text
    assert '"audio_seconds": 900.0' not in text  # the other listener's listening


def test_export_needs_a_signed_in_person(db: None) -> None:
    response = Client().get(reverse("accounts:export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))
