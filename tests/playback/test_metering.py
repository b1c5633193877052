"""Audiobook metering: what a player may report, and what it is charged."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ondas.accounts.models import User
from ondas.billing.models import Plan
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import billing_run, plan_create, subscription_start
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Audiobook
from ondas.catalog.services import (
    AudiobookPartInput,
    audio_file_create,
    audiobook_create,
)
from ondas.core.errors import ErrorCode
from ondas.playback.errors import AllowanceRequired, ReportRefused, SessionSuperseded
from ondas.playback.models import AllowanceUsage
from ondas.playback.selectors import allowance_get
from ondas.playback.services import (
    PlayedInterval,
    listening_report_apply,
    listening_session_open,
    progress_save,
)

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
S = timedelta(seconds=1)


def _book() -> Audiobook:
    parts = [
        AudiobookPartInput(
            audio=audio_file_create(
                name=f"part{n}.mp3",
                content=io.BytesIO(b"\xff\xfb" * 500),
                mime_type="audio/mpeg",
                duration_seconds=1800,
            ),
            title=f"Part {n}",
        )
        for n in (1, 2)
    ]
    return audiobook_create(
        title="El libro",
        authors="Ana Autora",
        language="es",
        published_at=T0,
        parts=parts,
        chapters=[ChapterInput(0, "Uno"), ChapterInput(1700, "Dos, entre partes")],
        sample_seconds=60,
    )


@pytest.fixture
def book(db: None) -> Audiobook:
    return _book()


@pytest.fixture
def premium(db: None) -> Plan:
    return plan_create(
        slug="premium",
        name="Premium",
        price_minor=9900,
        currency="MXN",
        trial_days=7,
        audiobook_hours=20,
        includes_exclusive=True,
    )


@pytest.fixture
def listener(premium: Plan) -> User:
    user = User.objects.create_user("ana@example.com", "a long pass phrase")
    subscription_start(
        user=user,
        plan=premium,
        payment_method=payment_method_from_test_card("4242424242424242"),
        now=T0,
    )
    return user


def report(
    user: User, token: str, seq: int, now: datetime, *spans: tuple[float, float, float]
) -> dict[str, object]:
    return listening_report_apply(
        user=user,
        session_token=token,
        seq=seq,
        intervals=[PlayedInterval(a, b, r) for a, b, r in spans],
        now=now,
    )


def test_book_parts_form_one_timeline(book: Audiobook) -> None:
    parts = list(book.parts.all())
    assert [(p.position, p.start_seconds) for p in parts] == [(1, 0), (2, 1800)]
    assert book.duration_seconds == 3600
    assert [c.start_seconds for c in book.chapters.all()] == [0, 1700]


def test_real_listening_is_charged(listener: User, book: Audiobook) -> None:
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    answer = report(listener, str(session.token), 1, T0 + 30 * S, (100, 130, 1.0))
    assert answer["charged_seconds"] == 30
    # At 2× the same 30 s of wall clock covers 60 s of the book.
    answer = report(listener, str(session.token), 2, T0 + 60 * S, (130, 190, 2.0))
    assert answer["charged_seconds"] == 30


def test_the_sample_is_free(listener: User, book: Audiobook) -> None:
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    assert (
        report(listener, str(session.token), 1, T0 + 60 * S, (0, 60, 1.0))[
            "charged_seconds"
        ]
        == 0
    )


def test_sample_needs_no_plan_but_the_rest_does(book: Audiobook) -> None:
    stranger = User.objects.create_user("b@example.com", "another long phrase")
    session = listening_session_open(
        user=stranger, audiobook=book, device="web", now=T0
    )
    assert (
        report(stranger, str(session.token), 1, T0 + 50 * S, (0, 50, 1.0))[
            "charged_seconds"
        ]
        == 0
    )
    with pytest.raises(AllowanceRequired):
        report(stranger, str(session.token), 2, T0 + 100 * S, (50, 100, 1.0))


@pytest.mark.parametrize(
    ("spans", "why"),
    [
        (((100, 5000, 1.0),), "beyond the end"),
        (((-5, 10, 1.0),), "negative start"),
        (((100, 130, 3.5),), "rate above 3"),
        (((100, 130, 0.1),), "rate below 0.5"),
        (((130, 100, 1.0),), "end before start"),
    ],
)
def test_impossible_reports_are_refused_and_charge_nothing(
    listener: User,
    book: Audiobook,
    spans: tuple[tuple[float, float, float], ...],
    why: str,
) -> None:
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    with pytest.raises(ReportRefused) as exc_info:
        report(listener, str(session.token), 1, T0 + 30 * S, *spans)
    assert exc_info.value.code == ErrorCode.LISTENING_REPORT_REFUSED, why
    assert not AllowanceUsage.objects.filter(seconds__gt=0).exists()


def test_overlapping_and_duplicated_intervals_are_charged_once(
    listener: User, book: Audiobook
) -> None:
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    token = str(session.token)
    first = report(
        listener,
        token,
        1,
        T0 + 60 * S,
        (100, 140, 1.0),
        (120, 160, 1.0),
        (100, 160, 1.0),
    )
    assert first["charged_seconds"] == 60
    # The same stretch again, later: nothing new to charge.
    assert (
        report(listener, token, 2, T0 + 600 * S, (100, 160, 1.0))["charged_seconds"]
        == 0
    )


def test_a_replayed_report_is_answered_the_same_and_charged_once(
    listener: User, book: Audiobook
) -> None:
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    token = str(session.token)
    first = report(listener, token, 1, T0 + 30 * S, (100, 130, 1.0))
    again = report(listener, token, 1, T0 + 90 * S, (100, 130, 1.0))
    assert again == first
    assert allowance_get(user=listener, now=T0 + 90 * S).used_seconds == 30
    with pytest.raises(ReportRefused):  # an older sequence number that was never sent
        report(listener, token, 0, T0 + 95 * S, (200, 230, 1.0))


def test_claims_beyond_the_wall_clock_are_capped(
    listener: User, book: Audiobook
) -> None:
    """A player that claims an hour of listening after ten seconds gets ten seconds."""
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    answer = report(listener, str(session.token), 1, T0 + 10 * S, (60, 3600, 1.0))
    assert answer["charged_seconds"] == pytest.approx(12)  # 10 s plus the 2 s grace


def test_two_devices_at_once_only_the_newest_streams(
    listener: User, book: Audiobook
) -> None:
    phone = listening_session_open(
        user=listener, audiobook=book, device="phone", now=T0
    )
    laptop = listening_session_open(
        user=listener, audiobook=book, device="laptop", now=T0 + 5 * S
    )
    with pytest.raises(SessionSuperseded) as exc_info:
        report(listener, str(phone.token), 1, T0 + 30 * S, (100, 130, 1.0))
    assert exc_info.value.http_status == 409
    assert (
        report(listener, str(laptop.token), 1, T0 + 35 * S, (100, 130, 1.0))[
            "charged_seconds"
        ]
        == 30
    )


def test_someone_elses_session_is_refused(listener: User, book: Audiobook) -> None:
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    other = User.objects.create_user("c@example.com", "yet another phrase")
    with pytest.raises(ReportRefused):
        report(other, str(session.token), 1, T0 + 30 * S, (100, 130, 1.0))


def test_allowance_boundary_then_the_next_period_restores_it(
    listener: User, book: Audiobook
) -> None:
    allowance = allowance_get(user=listener, now=T0)
    assert allowance.total_seconds == 20 * 3600
    AllowanceUsage.objects.create(
        user=listener, period_start=allowance.period_start, seconds=20 * 3600 - 30
    )
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    answer = report(listener, str(session.token), 1, T0 + 60 * S, (100, 160, 1.0))
    assert answer["charged_seconds"] == 30
    assert answer["exhausted"] is True
    assert answer["left_seconds"] == 0
    assert answer["renews_at"] == allowance.renews_at.isoformat()  # type: ignore[union-attr]
    # The trial ends, the first paid period starts: a full allowance again.
    renewal = T0 + timedelta(days=7)
    billing_run(now=renewal)
    assert allowance_get(user=listener, now=renewal).left_seconds == 20 * 3600


def test_progress_from_a_stale_device_never_moves_back(
    listener: User, book: Audiobook
) -> None:
    progress_save(
        user=listener,
        kind="audiobook",
        item_id=book.pk,
        position_seconds=600,
        played_at=T0 + 100 * S,
        device="laptop",
        now=T0 + 100 * S,
    )
    current, applied = progress_save(
        user=listener,
        kind="audiobook",
        item_id=book.pk,
        position_seconds=300,
        played_at=T0 + 50 * S,
        device="phone",
        now=T0 + 200 * S,
    )
    assert applied is False
    assert current.position_seconds == 600
    # A device clock running ahead cannot claim the future either.
    current, applied = progress_save(
        user=listener,
        kind="audiobook",
        item_id=book.pk,
        position_seconds=900,
        played_at=T0 + 10_000 * S,
        device="phone",
        now=T0 + 300 * S,
    )
    assert applied is True and current.played_at == T0 + 300 * S


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    reports=st.lists(
        st.tuples(
            st.integers(
                min_value=0, max_value=120
            ),  # seconds of wall clock since the last
            st.lists(
                st.tuples(
                    st.floats(min_value=0, max_value=3599, allow_nan=False),
                    st.floats(min_value=1, max_value=600, allow_nan=False),
                    st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0]),
                ),
                min_size=1,
                max_size=4,
            ),
            st.booleans(),  # send it twice
        ),
        min_size=1,
        max_size=8,
    )
)
@pytest.mark.django_db
def test_charged_time_never_exceeds_real_listening(
    listener: User,
    book: Audiobook,
    reports: list[tuple[int, list[tuple[float, float, float]], bool]],
) -> None:
    AllowanceUsage.objects.all().delete()
    session = listening_session_open(
        user=listener, audiobook=book, device="web", now=T0
    )
    now, charged, seq = T0, 0.0, 0
    for wait, spans, twice in reports:
        now += wait * S
        seq += 1
        intervals = [
            (a, min(a + length, book.duration_seconds), r) for a, length, r in spans
        ]
        for _ in range(2 if twice else 1):
            answer = report(listener, str(session.token), seq, now, *intervals)
        charged = allowance_get(user=listener, now=now).used_seconds
        elapsed = (now - T0).total_seconds() + 2 * seq  # the grace per report
        assert charged <= elapsed + 1e-6
        assert answer["charged_seconds"] >= 0
    content = book.duration_seconds - book.sample_seconds
    assert charged <= content / 0.5 + 1e-6
