"""Listening roll-ups: each rule on its own, from heard spans to the selectors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ondas.accounts.models import User
from ondas.analytics.listening import (
    COMPLETION_SHARE,
    episode_listening_recount,
    listening_rollup,
    spans_merge,
)
from ondas.analytics.models import ListenerCoverage, ListeningDay, RollupCursor
from ondas.analytics.selectors import (
    episode_completion,
    episode_dropoff,
    listening_for_period,
    show_plays_daily,
)
from ondas.analytics.signals import episodes_with_listening
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Episode, Show
from ondas.catalog.services import episode_chapters_replace, episode_create
from ondas.playback.heard import heard_spans_keep
from ondas.playback.services import PlayedInterval
from tests.accounts.factories import user_make

T0 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
DURATION = 1800.0
DAY0 = T0.date()


@pytest.fixture
def episode(show: Show) -> Episode:
    """Thirty minutes in three chapters of ten."""
    return episode_create(
        show=show,
        guid="capitulos",
        title="Tres capítulos",
        published_at=T0 - 30 * DAY,
        duration_seconds=DURATION,
        chapters=[
            ChapterInput(0, "Entrada"),
            ChapterInput(600, "Nudo"),
            ChapterInput(1200, "Desenlace"),
        ],
    )


@pytest.fixture
def ana(db: None) -> User:
    return user_make(email="ana@example.com")


@pytest.fixture
def beto(db: None) -> User:
    return user_make(email="beto@example.com")


def heard(
    user: User,
    episode: Episode,
    *spans: tuple[float, float] | tuple[float, float, float],
    at: datetime = T0,
) -> None:
    heard_spans_keep(
        user=user,
        episode=episode,
        intervals=[
            PlayedInterval(start=s[0], end=s[1], rate=s[2] if len(s) > 2 else 1.0)
            for s in spans
        ],
        now=at,
    )


def day_of(user: User, episode: Episode, day: date = DAY0) -> ListeningDay:
    return ListeningDay.objects.get(user=user, episode=episode, day=day)


def test_spans_merge_joins_overlapping_and_touching_spans() -> None:
    assert spans_merge([(50, 80), (0, 30), (30, 40), (70, 100)]) == [
        (0, 40),
        (50, 100),
    ]


def test_replayed_minute_is_one_minute_of_coverage_and_two_of_listening(
    ana: User, episode: Episode
) -> None:
    heard(ana, episode, (0, 60), (0, 60))
    heard(ana, episode, (30, 90))
    listening_rollup()

    coverage = ListenerCoverage.objects.get(user=ana, episode=episode)
    assert coverage.spans == [[0, 90]]
    assert coverage.covered_seconds == 90
    assert day_of(ana, episode).audio_seconds == 180


def test_thirty_minutes_at_2x_are_sixty_minutes_of_audio(
    ana: User, episode: Episode
) -> None:
    # The whole 30-minute episode twice at 2x: 30 minutes of wall time.
    heard(ana, episode, (0, 1800, 2.0), (0, 1800, 2.0))
    listening_rollup()

    day = day_of(ana, episode)
    assert day.wall_seconds == 30 * 60
    assert day.audio_seconds == 60 * 60
    assert ListenerCoverage.objects.get(user=ana, episode=episode).covered_seconds == (
        1800
    )


@pytest.mark.parametrize(
    ("spans", "played"),
    [
        ([(0, 60)], False),  # exactly 60 s is not more than 60 s
        ([(0, 61)], True),
        ([(0, 30), (100, 131)], True),  # two stretches of one day add up
        ([(0, 120, 2.0)], True),  # 120 s of audio in 60 s of wall time
    ],
)
def test_a_play_is_more_than_sixty_seconds_of_audio_in_a_day(
    ana: User, episode: Episode, spans: list[tuple[float, ...]], played: bool
) -> None:
    heard(ana, episode, *spans)  # type: ignore[arg-type]
    listening_rollup()

    assert day_of(ana, episode).played is played
    plays = show_plays_daily(show=episode.show, since=T0.date(), until=T0.date())
    assert plays[0].plays == int(played)


def test_sixty_seconds_on_each_of_two_days_is_no_play(
    ana: User, episode: Episode
) -> None:
    heard(ana, episode, (0, 50), at=T0)
    heard(ana, episode, (50, 100), at=T0 + DAY)
    listening_rollup()

    assert not ListeningDay.objects.filter(played=True).exists()


def test_plays_count_once_per_listener_item_and_day(
    ana: User, beto: User, episode: Episode
) -> None:
    heard(ana, episode, (0, 100), at=T0)
    heard(ana, episode, (100, 200), at=T0 + timedelta(hours=3))
    heard(ana, episode, (0, 100), at=T0 + DAY)
    heard(beto, episode, (0, 100), at=T0 + DAY)
    listening_rollup()

    days = show_plays_daily(
        show=episode.show, since=T0.date(), until=T0.date() + 2 * DAY
    )
    assert [(d.plays, d.listeners) for d in days] == [(1, 1), (2, 2), (0, 0)]


def test_completion_is_the_share_of_players_who_covered_95_percent(
    ana: User, beto: User, episode: Episode, db: None
) -> None:
    carla = user_make(email="carla@example.com")
    enough = COMPLETION_SHARE * DURATION
    heard(ana, episode, (0, enough))  # completed
    heard(beto, episode, (0, enough - 1))  # a player, not completed
    heard(carla, episode, (0, 30))  # 30 s: not a player at all
    listening_rollup()

    completion = episode_completion(episode=episode)
    assert (completion.players, completion.completed) == (2, 1)
    assert completion.rate == 0.5


def test_completion_moves_when_a_player_comes_back_to_finish(
    ana: User, episode: Episode
) -> None:
    heard(ana, episode, (0, 900))
    listening_rollup()
    assert episode_completion(episode=episode).completed == 0

    heard(ana, episode, (900, 1800), at=T0 + DAY)
    listening_rollup()
    completion = episode_completion(episode=episode)
    assert (completion.players, completion.completed) == (1, 1)


def test_dropoff_counts_who_reached_each_of_three_chapters(
    ana: User, beto: User, episode: Episode, db: None
) -> None:
    carla = user_make(email="carla@example.com")
    heard(ana, episode, (0, 1800, 1.5))  # all three
    heard(beto, episode, (0, 700))  # the first two
    heard(carla, episode, (0, 599), (599, 602))  # three seconds of the second
    listening_rollup()

    dropoff = episode_dropoff(episode=episode)
    assert [(c.index, c.title, c.listeners) for c in dropoff] == [
        (1, "Entrada", 3),
        (2, "Nudo", 2),
        (3, "Desenlace", 1),
    ]
    assert [c.kept for c in dropoff] == [None, 2 / 3, 1 / 2]


def test_dropoff_counted_again_after_the_chapters_change(
    ana: User, episode: Episode
) -> None:
    heard(ana, episode, (0, 700))
    listening_rollup()
    episode_chapters_replace(
        episode=episode,
        chapters=[ChapterInput(0, "Todo"), ChapterInput(900, "Final")],
    )

    episode_listening_recount(episode=episode)

    dropoff = episode_dropoff(episode=episode)
    assert [(c.title, c.listeners) for c in dropoff] == [("Todo", 1), ("Final", 0)]


def test_rollup_run_again_adds_nothing(ana: User, episode: Episode) -> None:
    heard(ana, episode, (0, 100), (50, 300))
    first = listening_rollup()
    again = listening_rollup()

    assert (first.spans, again.spans) == (2, 0)
    assert day_of(ana, episode).audio_seconds == 350
    assert episode_completion(episode=episode).players == 1


def test_rollup_in_many_small_batches_equals_one_big_one(
    ana: User, beto: User, episode: Episode
) -> None:
    for n in range(6):
        heard(ana, episode, (n * 200, n * 200 + 250), at=T0 + n * timedelta(hours=5))
        heard(beto, episode, (0, 40 + n), at=T0 + n * timedelta(hours=5))
    listening_rollup(batch=1)
    small = sorted(
        (r.user_id, r.day, r.audio_seconds, r.played)
        for r in listening_for_period(start=T0.date(), end=T0.date() + 3 * DAY)
    )
    assert [r.batches for r in [listening_rollup()]] == [0]

    ListeningDay.objects.all().delete()
    ListenerCoverage.objects.all().delete()
    RollupCursor.objects.all().delete()
    listening_rollup(batch=10_000)
    big = sorted(
        (r.user_id, r.day, r.audio_seconds, r.played)
        for r in listening_for_period(start=T0.date(), end=T0.date() + 3 * DAY)
    )
    assert small == big
    assert len(big) == 4  # each listener on each of two days


def test_listening_for_period_is_per_listener_item_and_day_within_the_period(
    ana: User, beto: User, episode: Episode
) -> None:
    heard(ana, episode, (0, 100), at=T0 - DAY)
    heard(ana, episode, (0, 100), at=T0)
    heard(beto, episode, (0, 20), at=T0)
    heard(beto, episode, (0, 100), at=T0 + DAY)
    listening_rollup()

    rows = list(listening_for_period(start=T0.date(), end=T0.date() + DAY))

    assert [(r.user_id, r.episode_id, r.audio_seconds, r.played) for r in rows] == [
        (ana.pk, episode.pk, 100, True),
        (beto.pk, episode.pk, 20, False),
    ]


def test_an_edit_of_the_chapters_recounts_the_dropoff_once_committed(
    ana: User,
    episode: Episode,
    django_capture_on_commit_callbacks: Any,
) -> None:
    heard(ana, episode, (0, 1000))
    listening_rollup()
    before = [(c.title, c.listeners) for c in episode_dropoff(episode=episode)]
    assert before == [("Entrada", 1), ("Nudo", 1), ("Desenlace", 0)]
    # The new second chapter starts at 900 s: she heard 100 s of it.

    with django_capture_on_commit_callbacks(execute=True):
        episode_chapters_replace(
            episode=episode,
            chapters=[ChapterInput(0, "Todo"), ChapterInput(900, "Final")],
        )

    dropoff = episode_dropoff(episode=episode)
    assert [(c.title, c.listeners) for c in dropoff] == [("Todo", 1), ("Final", 1)]


def test_only_episodes_with_listening_are_queued_for_a_recount(
    ana: User, episode: Episode, show: Show
) -> None:
    other = episode_create(
        show=show, guid="nadie", title="Sin oyentes", published_at=T0 - DAY
    )
    heard(ana, episode, (0, 700))
    listening_rollup()

    named = episodes_with_listening(
        show_ids=[show.pk], episode_ids=[episode.pk, other.pk]
    )
    whole_show = episodes_with_listening(show_ids=[show.pk], episode_ids=None)

    assert named == whole_show == [episode.pk]
    assert episodes_with_listening(show_ids=[show.pk], episode_ids=[]) == []
