"""Delete my account: the person and their rows go, the counts and money stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Count, Sum
from django.test import Client
from django.urls import reverse
from django.utils.timezone import now as timezone_now

from ondas.accounts.models import User
from ondas.analytics.listening import listening_rollup
from ondas.analytics.models import (
    DailyShowPlays,
    EpisodeListening,
    ListenerCoverage,
    ListeningDay,
)
from ondas.billing.models import LedgerEntry, Subscription
from ondas.feedkeys.models import PrivateFeedKey
from ondas.library.models import Follow
from ondas.playback.heard import heard_spans_keep
from ondas.playback.models import Bookmark, HeardSpan, ListeningProgress
from ondas.playback.services import PlayedInterval
from ondas.studio.models import Membership, Role
from ondas.studio.services.members import membership_grant
from tests.accounts.factories import PASSWORD
from tests.accounts.privacy_support import History, history_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db: None) -> History:
    return history_make(now=timezone_now() - timedelta(minutes=5))


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _delete(user: User, password: str = PASSWORD) -> object:
    return _signed_in(user).post(reverse("accounts:delete"), {"password": password})


def _totals() -> dict[str, object]:
    """What creators' pages and payouts read: roll-ups, and the ledger."""
    days = ListeningDay.objects.aggregate(
        audio=Sum("audio_seconds"),
        wall=Sum("wall_seconds"),
        rows=Count("pk"),
        listeners=Count("user", distinct=True),
    )
    return {
        "days": days,
        "coverage": ListenerCoverage.objects.aggregate(
            rows=Count("pk"), covered=Sum("covered_seconds")
        ),
        "episodes": list(
            EpisodeListening.objects.order_by("pk").values_list(
                "episode_id", "players", "completed"
            )
        ),
        "show_days": list(
            DailyShowPlays.objects.order_by("pk").values_list(
                "show_id", "day", "plays", "listeners"
            )
        ),
        "ledger": LedgerEntry.objects.aggregate(
            rows=Count("pk"), minor=Sum("amount_minor")
        ),
    }


def _rows_of(user: User) -> dict[str, int]:
    return {
        "follows": Follow.objects.filter(user=user).count(),
        "progress": ListeningProgress.objects.filter(user=user).count(),
        "bookmarks": Bookmark.objects.filter(user=user).count(),
        "heard": HeardSpan.objects.filter(user=user).count(),
        "feed_keys": PrivateFeedKey.objects.filter(user=user).count(),
    }


def test_delete_removes_the_person_and_their_rows(history: History) -> None:
    person = history.person
    assert all(_rows_of(person).values())
    response = _delete(person)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == reverse("accounts:deleted")  # type: ignore[index]
    person.refresh_from_db()
    assert person.is_deleted and not person.is_active
    assert person.email == f"deleted-{person.pk}@deleted.invalid"
    assert not person.has_usable_password()
    assert not User.objects.filter(email="privada@example.com").exists()
    assert _rows_of(person) == dict.fromkeys(_rows_of(person), 0)
    assert not Subscription.objects.filter(
        user=person, status__in=Subscription.LIVE
    ).exists()
    # The other listener keeps all of theirs.
    assert HeardSpan.objects.filter(user=history.other).count() == 1


def test_delete_keeps_analytics_totals_and_ledger_sums(history: History) -> None:
    listening_rollup()
    before = _totals()
    assert before["days"]["listeners"] == 2  # type: ignore[index]
    assert before["ledger"]["minor"]  # type: ignore[index]
    _delete(history.person)
    listening_rollup()
    assert _totals() == before


def test_delete_counts_listening_not_rolled_up_yet(history: History) -> None:
    listening_rollup()
    heard_spans_keep(
        user=history.person,
        episode=history.episode,
        intervals=[PlayedInterval(start=600.0, end=1200.0, rate=1.0)],
        now=timezone_now(),
    )
    _delete(history.person)
    assert not HeardSpan.objects.filter(user=history.person).exists()
    heard = ListeningDay.objects.filter(user=history.person).aggregate(
        s=Sum("audio_seconds")
    )
    assert heard["s"] == pytest.approx(1200.0)


def test_delete_with_a_wrong_password_is_refused(history: History) -> None:
    response = _delete(history.person, password="not the password at all")
    assert response.status_code == 400  # type: ignore[attr-defined]
    history.person.refresh_from_db()
    assert not history.person.is_deleted
    assert all(_rows_of(history.person).values())
    assert Subscription.objects.filter(
        user=history.person, status__in=Subscription.LIVE
    ).exists()


def test_delete_by_the_last_owner_of_a_show_is_refused(history: History) -> None:
    membership_grant(target=history.show, user=history.person, role=Role.OWNER)
    client = _signed_in(history.person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("accounts:delete")).content.decode()
    assert "You are the last owner of “Ondas cortas”" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = client.get(reverse("accounts:delete")).content.decode()
    assert "Eres la última persona propietaria de «Ondas cortas»" in page
    assert 'type="submit" disabled>' in page
    response = client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert response.status_code == 409
    history.person.refresh_from_db()
    assert not history.person.is_deleted
    # Refused before anything happened: the subscription still runs.
    assert Subscription.objects.filter(
        user=history.person, status__in=Subscription.LIVE
    ).exists()
    assert all(_rows_of(history.person).values())
    # Another owner first, and then it goes.
    membership_grant(target=history.show, user=history.other, role=Role.OWNER)
    assert _delete(history.person).status_code == 302  # type: ignore[attr-defined]
    assert not Membership.objects.filter(user=history.person).exists()


def test_delete_page_needs_a_signed_in_person(db: None) -> None:
    response = Client().get(reverse("accounts:delete"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_delete_removes_the_apps_access_tokens_and_the_export_lists_them(
    history: History,
) -> None:
    from ondas.accounts.access_tokens import access_token_create
    from ondas.accounts.models import AccessToken

    person = history.person
    made = access_token_create(
        user=person, name="Coche", scope="read", now=timezone_now()
    )
    export = b"".join(
        _signed_in(person).get(reverse("accounts:export")).streaming_content  # type: ignore[attr-defined]
    ).decode()
    assert '"name": "Coche"' in export
    assert made.secret not in export

    _delete(person)

    assert not AccessToken.objects.filter(user=person).exists()
