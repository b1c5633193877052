"""Progress sync, bookmarks, and metering of audiobook listening.

Metering rules (what a report can and cannot make us charge):

- a report names its session and a sequence number; a number already seen
  gets the answer it got the first time, and charges nothing again;
- only the account's one open session may report (opening a book on another
  device closes the others);
- each interval must lie inside the book, with 0.5 ≤ rate ≤ 3; otherwise the
  whole report is refused and nothing is charged;
- the free sample at the start of the book is never charged;
- a stretch of the book already charged this period is not charged again;
- what is charged is real listening time, content seconds ÷ rate, and never
  more than the wall-clock time since the session's previous report;
- never more than the allowance left; once it is used up, the answer says so
  and when it renews.

A report metering accepts is also kept as heard spans (``HeardSpan``), the
sample included, for the listening roll-ups; its answer does not change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook
from ondas.playback.errors import AllowanceRequired, ReportRefused, SessionSuperseded
from ondas.playback.models import (
    AllowanceUsage,
    Bookmark,
    EpisodeReport,
    HeardSpan,
    ListenedSpan,
    ListeningProgress,
    ListeningReport,
    ListeningSession,
)
from ondas.playback.selectors import allowance_get

logger = logging.getLogger(__name__)

MIN_RATE, MAX_RATE = 0.5, 3.0
# Reports travel over real networks: allow this much slack on the wall clock.
CLOCK_GRACE = timedelta(seconds=2)
MAX_INTERVALS = 200


@dataclass(frozen=True)
class PlayedInterval:
    start: float  # seconds on the book's timeline
    end: float
    rate: float


def progress_save(
    *,
    user: User,
    kind: str,
    item_id: int,
    position_seconds: float,
    played_at: datetime,
    device: str,
    now: datetime,
) -> tuple[ListeningProgress, bool]:
    """Store a position unless a more recent one is already stored.

    Return the position now on record and whether this one was applied. A
    device that was offline and reports late cannot move a newer position
    backwards; ``played_at`` later than ``now`` counts as ``now``.
    """
    if position_seconds < 0:
        raise ReportRefused(reason=_("A position cannot be negative."))
    played_at = min(played_at, now)
    with transaction.atomic():
        current = (
            ListeningProgress.objects.select_for_update()
            .filter(user=user, kind=kind, item_id=item_id)
            .first()
        )
        if current is not None and current.played_at >= played_at:
            return current, False
        progress, _created = ListeningProgress.objects.update_or_create(
            user=user,
            kind=kind,
            item_id=item_id,
            defaults={
                "position_seconds": position_seconds,
                "played_at": played_at,
                "device": device[:64],
            },
        )
    return progress, True


def bookmark_create(
    *,
    user: User,
    audiobook: Audiobook,
    position_seconds: float,
    note: str,
    now: datetime,
) -> Bookmark:
    if not 0 <= position_seconds <= audiobook.duration_seconds:
        raise ReportRefused(reason=_("A bookmark must be inside the book."))
    bookmark = Bookmark(
        user=user,
        audiobook=audiobook,
        position_seconds=position_seconds,
        note=note.strip(),
        created_at=now,
    )
    bookmark.full_clean()
    bookmark.save()
    return bookmark


def bookmark_delete(*, user: User, bookmark_id: int) -> None:
    Bookmark.objects.filter(user=user, pk=bookmark_id).delete()


@transaction.atomic
def listening_session_open(
    *, user: User, audiobook: Audiobook, device: str, now: datetime
) -> ListeningSession:
    """Start a stream of ``audiobook``; any other open stream of the account ends."""
    ListeningSession.objects.select_for_update().filter(
        user=user, ended_at__isnull=True
    ).update(ended_at=now)
    return ListeningSession.objects.create(
        user=user,
        audiobook=audiobook,
        device=device[:64],
        started_at=now,
        last_report_at=now,
    )


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _uncovered(
    start: float, end: float, covered: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The parts of [start, end) that no span in ``covered`` (merged) touches."""
    pieces: list[tuple[float, float]] = []
    cursor = start
    for c_start, c_end in covered:
        if c_end <= cursor:
            continue
        if c_start >= end:
            break
        if c_start > cursor:
            pieces.append((cursor, c_start))
        cursor = max(cursor, c_end)
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


def _validate(intervals: Sequence[PlayedInterval], book: Audiobook) -> None:
    if len(intervals) > MAX_INTERVALS:
        raise ReportRefused(reason=_("Too many intervals in one report."))
    for interval in intervals:
        if not (MIN_RATE <= interval.rate <= MAX_RATE):
            raise ReportRefused(
                reason=_("The playback rate must be between 0.5 and 3.")
            )
        if not (0 <= interval.start < interval.end <= book.duration_seconds + 1):
            raise ReportRefused(reason=_("An interval lies outside the book."))


@transaction.atomic
def listening_report_apply(
    *,
    user: User,
    session_token: str,
    seq: int,
    intervals: Sequence[PlayedInterval],
    now: datetime,
) -> dict[str, object]:
    """Charge what a player reports it played; return the answer for the player."""
    session = (
        ListeningSession.objects.select_for_update()
        .select_related("audiobook")
        .filter(token=session_token, user=user)
        .first()
    )
    if session is None:
        raise ReportRefused(reason=_("There is no such listening session."))
    replay = ListeningReport.objects.filter(session=session, seq=seq).first()
    if replay is not None:
        return dict(replay.answer)
    if session.ended_at is not None:
        raise SessionSuperseded
    if seq <= session.last_seq:
        raise ReportRefused(reason=_("This report is older than one already received."))
    book = session.audiobook
    _validate(intervals, book)

    allowance = allowance_get(user=user, now=now)
    paid = [
        (max(i.start, float(book.sample_seconds)), i.end, i.rate)
        for i in intervals
        if i.end > book.sample_seconds
    ]
    charge = 0.0
    if paid:
        if allowance.period_start is None:
            raise AllowanceRequired
        spans = ListenedSpan.objects.filter(
            user=user, audiobook=book, period_start=allowance.period_start
        )
        covered = _merge([(s.start_seconds, s.end_seconds) for s in spans])
        cost = 0.0
        for start, end, rate in paid:
            for piece_start, piece_end in _uncovered(start, end, covered):
                cost += (piece_end - piece_start) / rate
            covered = _merge([*covered, (start, end)])
        wall = (now - session.last_report_at + CLOCK_GRACE).total_seconds()
        charge = max(0.0, min(cost, wall, allowance.left_seconds))
        spans.delete()
        ListenedSpan.objects.bulk_create(
            ListenedSpan(
                user=user,
                audiobook=book,
                period_start=allowance.period_start,
                start_seconds=start,
                end_seconds=end,
            )
            for start, end in covered
        )
        if charge:
            usage, _created = AllowanceUsage.objects.select_for_update().get_or_create(
                user=user, period_start=allowance.period_start
            )
            usage.seconds += charge
            usage.save(update_fields=["seconds"])
    left = max(0.0, allowance.left_seconds - charge)
    answer: dict[str, object] = {
        "charged_seconds": round(charge, 3),
        "left_seconds": round(left, 3),
        "exhausted": bool(paid) and left <= 0,
        "renews_at": allowance.renews_at.isoformat() if allowance.renews_at else None,
    }
    ListeningReport.objects.create(
        session=session, seq=seq, received_at=now, charged_seconds=charge, answer=answer
    )
    # What was heard, sample included, for the listening roll-ups (heard.py).
    HeardSpan.objects.bulk_create(
        HeardSpan(
            user=user,
            audiobook=book,
            start_seconds=i.start,
            end_seconds=i.end,
            rate=i.rate,
            heard_at=now,
        )
        for i in intervals
    )
    session.last_seq = seq
    session.last_report_at = now
    session.save(update_fields=["last_seq", "last_report_at"])
    return answer


@transaction.atomic(durable=True)
def playback_forget_user(*, user: User) -> int:
    """Remove a deleted account's positions, bookmarks, streams and metering.

    Its heard spans are analytics' to remove, once rolled up (see
    ``analytics.services.listening_forget_user``). Returns how many rows went.
    """
    removed = 0
    for model in (
        ListeningProgress,
        Bookmark,
        ListeningSession,  # its reports go with it
        ListenedSpan,
        AllowanceUsage,
        EpisodeReport,
    ):
        count, _by_model = model.objects.filter(user=user).delete()
        removed += count
    return removed
