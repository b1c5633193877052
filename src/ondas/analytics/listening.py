"""Listening roll-ups: playback's heard spans made into days, plays,
completion and per-chapter reach, so no page and no payout reads the spans.

The rules:

- **listening time** is audio heard, speed-aware and not de-duplicated: a
  span from 0 to 1,800 s at 2x is 1,800 s of audio heard in 900 s, and a
  minute heard twice is two minutes of listening (``ListeningDay``);
- **coverage** is de-duplicated: the union of what a listener heard of an
  item, so a minute heard twice covers one minute (``ListenerCoverage``);
- a **play** is a listener with more than ``PLAY_SECONDS`` (60) of audio of
  one item on one day, so at most one per listener, item and day; days are
  the operator's (``TIME_ZONE``), a span counts on the day its report came;
- an episode's **players** are its listeners with a play on some day; its
  **completion rate** is the share of them whose coverage reaches
  ``COMPLETION_SHARE`` (95 %) of its duration;
- a listener **reached** a chapter when their coverage holds at least
  ``REACH_SECONDS`` of it (or the whole of a shorter chapter); a chapter runs
  to the next one's start, the last to the end of the episode. Reach is kept
  per chapter start; after the chapters of an episode change,
  ``episode_listening_recount`` counts it again from the coverage.

Idempotent and resumable: spans are read in primary-key order, a batch at a
time, and each batch is applied in one transaction with the cursor's new
position (``RollupCursor``), so a crash leaves a batch applied whole or not
at all, and running again adds nothing twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ondas.analytics.models import (
    ChapterReach,
    DailyEpisodePlays,
    DailyShowPlays,
    EpisodeListening,
    ListenerCoverage,
    ListeningDay,
    RollupCursor,
)
from ondas.analytics.versions import numbers_version_bump
from ondas.catalog.models import Chapter, Episode
from ondas.playback.models import HeardSpan

PLAY_SECONDS = 60.0
COMPLETION_SHARE = 0.95
REACH_SECONDS = 5.0
ROLLUP_BATCH = 5_000
CURSOR = "listening"

# (user, episode, audiobook): one of the two items is None.
Item = tuple[int, int | None, int | None]
Spans = list[tuple[float, float]]


@dataclass
class RollupReport:
    spans: int = 0
    batches: int = 0


def spans_merge(spans: Iterable[tuple[float, float]]) -> Spans:
    """Sorted, disjoint spans covering what ``spans`` cover (touching ones join)."""
    merged: Spans = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def spans_covered(spans: Spans) -> float:
    return sum(end - start for start, end in spans)


def spans_within(spans: Spans, start: float, end: float) -> float:
    """How much of [start, end) merged ``spans`` cover."""
    return sum(max(0.0, min(e, end) - max(s, start)) for s, e in spans)


def chapters_reached(spans: Spans, starts: list[float], duration: float) -> set[float]:
    """The starts of the chapters a listener with coverage ``spans`` reached."""
    reached: set[float] = set()
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else max(duration, start)
        need = min(REACH_SECONDS, end - start)
        heard = spans_within(spans, start, end)
        if heard > 0 and heard >= need:
            reached.add(start)
    return reached


def is_completed(covered: float, duration: float) -> bool:
    return duration > 0 and covered >= COMPLETION_SHARE * duration


def listening_rollup(*, batch: int = ROLLUP_BATCH) -> RollupReport:
    """Roll up every heard span not rolled up yet; return how many there were."""
    report = RollupReport()
    while (done := _rollup_batch(limit=batch)) > 0:
        report.spans += done
        report.batches += 1
    return report


def _item_filter(items: Iterable[Item]) -> Q:
    users = {u for u, _e, _b in items}
    episodes = {e for _u, e, _b in items if e is not None}
    books = {b for _u, _e, b in items if b is not None}
    return Q(user_id__in=users) & (
        Q(episode_id__in=episodes) | Q(audiobook_id__in=books)
    )


@transaction.atomic(durable=True)
def _rollup_batch(*, limit: int) -> int:
    cursor, _created = RollupCursor.objects.get_or_create(name=CURSOR)
    cursor = RollupCursor.objects.select_for_update().get(pk=cursor.pk)
    rows = list(
        HeardSpan.objects.filter(pk__gt=cursor.position)
        .order_by("pk")
        .values_list(
            "pk",
            "user_id",
            "episode_id",
            "audiobook_id",
            "start_seconds",
            "end_seconds",
            "rate",
            "heard_at",
        )[:limit]
    )
    if not rows:
        return 0
    days: dict[tuple[Item, date], list[float]] = defaultdict(lambda: [0.0, 0.0])
    heard: dict[Item, Spans] = defaultdict(list)
    for _pk, user, episode, book, start, end, rate, at in rows:
        item = (user, episode, book)
        totals = days[(item, timezone.localdate(at))]
        totals[0] += end - start
        totals[1] += (end - start) / rate
        heard[item].append((start, end))
    played_items = _days_apply(days)
    _coverage_apply(heard, played_items)
    episodes = {episode for (_u, episode, _b), _day in days if episode is not None}
    if episodes:
        numbers_version_bump(
            show_ids=Episode.objects.filter(pk__in=episodes).values_list(
                "show_id", flat=True
            )
        )
    cursor.position = rows[-1][0]
    cursor.save(update_fields=["position"])
    return len(rows)


def _days_apply(days: dict[tuple[Item, date], list[float]]) -> set[Item]:
    """Add the batch's listening to ListeningDay; recount the touched days' plays.

    Return the items with a play among the days touched.
    """
    items = {item for item, _day in days}
    existing = {
        ((row.user_id, row.episode_id, row.audiobook_id), row.day): row
        for row in ListeningDay.objects.filter(
            _item_filter(items), day__in={day for _item, day in days}
        )
    }
    changed: list[ListeningDay] = []
    fresh: list[ListeningDay] = []
    touched_episode_days: set[tuple[int, date]] = set()
    played: set[Item] = set()
    for key, (audio, wall) in days.items():
        (user, episode, book), day = key
        row = existing.get(key)
        if row is None:
            row = ListeningDay(user_id=user, episode_id=episode, audiobook_id=book)
            row.day = day
            fresh.append(row)
        else:
            changed.append(row)
        row.audio_seconds += audio
        row.wall_seconds += wall
        row.played = row.audio_seconds > PLAY_SECONDS
        if row.played:
            played.add((user, episode, book))
        if episode is not None:
            touched_episode_days.add((episode, day))
    ListeningDay.objects.bulk_update(
        changed, ["audio_seconds", "wall_seconds", "played"], batch_size=500
    )
    ListeningDay.objects.bulk_create(fresh, batch_size=500)
    _plays_recount(touched_episode_days)
    return played


def _plays_recount(episode_days: set[tuple[int, date]]) -> None:
    """Count the touched days' plays again from ListeningDay (per episode, per show)."""
    if not episode_days:
        return
    episodes = {e for e, _d in episode_days}
    day_set = {d for _e, d in episode_days}
    shows = dict(Episode.objects.filter(pk__in=episodes).values_list("pk", "show_id"))
    show_days = {(shows[e], d) for e, d in episode_days if e in shows}
    per_episode = Counter(
        {
            (row["episode_id"], row["day"]): row["plays"]
            for row in ListeningDay.objects.filter(
                episode_id__in=episodes, day__in=day_set, played=True
            )
            .values("episode_id", "day")
            .annotate(plays=Count("pk"))
        }
    )
    DailyEpisodePlays.objects.bulk_create(
        [
            DailyEpisodePlays(episode_id=e, day=d, plays=per_episode[(e, d)])
            for e, d in episode_days
        ],
        update_conflicts=True,
        unique_fields=["episode", "day"],
        update_fields=["plays"],
    )
    per_show = {
        (row["episode__show_id"], row["day"]): (row["plays"], row["listeners"])
        for row in ListeningDay.objects.filter(
            episode__show_id__in={s for s, _d in show_days},
            day__in=day_set,
            played=True,
        )
        .values("episode__show_id", "day")
        .annotate(plays=Count("pk"), listeners=Count("user_id", distinct=True))
    }
    DailyShowPlays.objects.bulk_create(
        [
            DailyShowPlays(
                show_id=s,
                day=d,
                plays=per_show.get((s, d), (0, 0))[0],
                listeners=per_show.get((s, d), (0, 0))[1],
            )
            for s, d in show_days
        ],
        update_conflicts=True,
        unique_fields=["show", "day"],
        update_fields=["plays", "listeners"],
    )


def _episode_shapes(episodes: set[int]) -> dict[int, tuple[float, list[float]]]:
    """Each episode's duration and its chapters' starts (sorted)."""
    shapes: dict[int, tuple[float, list[float]]] = {
        pk: (duration, [])
        for pk, duration in Episode.objects.filter(pk__in=episodes).values_list(
            "pk", "duration_seconds"
        )
    }
    for episode, start in (
        Chapter.objects.filter(episode_id__in=episodes)
        .order_by("episode_id", "start_seconds")
        .values_list("episode_id", "start_seconds")
    ):
        shapes[episode][1].append(start)
    return shapes


def _coverage_apply(heard: dict[Item, Spans], played_items: set[Item]) -> None:
    """Merge the batch into each listener's coverage; move completion and reach."""
    existing = {
        (row.user_id, row.episode_id, row.audiobook_id): row
        for row in ListenerCoverage.objects.filter(_item_filter(heard))
    }
    shapes = _episode_shapes({e for _u, e, _b in heard if e is not None})
    players: Counter[int] = Counter()
    completed: Counter[int] = Counter()
    reach: Counter[tuple[int, float]] = Counter()
    changed: list[ListenerCoverage] = []
    fresh: list[ListenerCoverage] = []
    for item, spans in heard.items():
        user, episode, book = item
        row = existing.get(item)
        if row is None:
            row = ListenerCoverage(user_id=user, episode_id=episode, audiobook_id=book)
            fresh.append(row)
        else:
            changed.append(row)
        old: Spans = [(s, e) for s, e in row.spans]
        new = spans_merge([*old, *spans])
        row.spans = [[s, e] for s, e in new]
        row.covered_seconds = spans_covered(new)
        was_played, was_completed = row.played, row.completed
        row.played = row.played or item in played_items
        if episode is None or episode not in shapes:
            continue
        duration, starts = shapes[episode]
        row.completed = row.played and is_completed(row.covered_seconds, duration)
        players[episode] += int(row.played) - int(was_played)
        completed[episode] += int(row.completed) - int(was_completed)
        before = chapters_reached(old, starts, duration)
        for start in chapters_reached(new, starts, duration) - before:
            reach[(episode, start)] += 1
    ListenerCoverage.objects.bulk_update(
        changed, ["spans", "covered_seconds", "played", "completed"], batch_size=500
    )
    ListenerCoverage.objects.bulk_create(fresh, batch_size=500)
    _counts_add(players, completed, reach)


def _counts_add(
    players: Counter[int],
    completed: Counter[int],
    reach: Counter[tuple[int, float]],
) -> None:
    episodes = set(players) | set(completed)
    if episodes:
        rows = {
            row.episode_id: row
            for row in EpisodeListening.objects.filter(episode_id__in=episodes)
        }
        for episode in episodes:
            row = rows.get(episode) or EpisodeListening(episode_id=episode)
            row.players += players[episode]
            row.completed += completed[episode]
            rows[episode] = row
        EpisodeListening.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["episode"],
            update_fields=["players", "completed"],
        )
    if reach:
        found = {
            (reached.episode_id, reached.start_seconds): reached
            for reached in ChapterReach.objects.filter(
                episode_id__in={e for e, _s in reach}
            )
        }
        for key, count in reach.items():
            chapter = found.get(key) or ChapterReach(
                episode_id=key[0], start_seconds=key[1]
            )
            chapter.listeners += count
            found[key] = chapter
        ChapterReach.objects.bulk_create(
            [found[key] for key in reach],
            update_conflicts=True,
            unique_fields=["episode", "start_seconds"],
            update_fields=["listeners"],
        )


@transaction.atomic(durable=True)
def episode_listening_recount(*, episode: Episode) -> EpisodeListening:
    """Count the episode's completion and chapter reach again from coverage
    (after its chapters or its duration changed)."""
    duration, starts = _episode_shapes({episode.pk}).get(episode.pk, (0.0, []))
    players = completed = 0
    reach: Counter[float] = Counter()
    coverage = ListenerCoverage.objects.filter(episode=episode)
    for row in coverage.iterator():
        spans: Spans = [(s, e) for s, e in row.spans]
        row.completed = row.played and is_completed(row.covered_seconds, duration)
        players += int(row.played)
        completed += int(row.completed)
        reach.update(chapters_reached(spans, starts, duration))
    coverage.filter(played=True).update(completed=False)
    if duration > 0:
        coverage.filter(
            played=True, covered_seconds__gte=COMPLETION_SHARE * duration
        ).update(completed=True)
    ChapterReach.objects.filter(episode=episode).delete()
    ChapterReach.objects.bulk_create(
        ChapterReach(episode=episode, start_seconds=start, listeners=count)
        for start, count in reach.items()
    )
    listening, _created = EpisodeListening.objects.update_or_create(
        episode=episode, defaults={"players": players, "completed": completed}
    )
    numbers_version_bump(show_ids=[episode.show_id])
    return listening
