"""What the players say they played: spans kept for analytics to roll up.

Both players report the same thing, stretches of the timeline heard
continuously at one speed ``(start, end, rate)``, numbered by an increasing
``seq`` within a stream, so a report sent again (a lost answer, a retry)
adds nothing the second time:

- a book's spans come with its metering reports (``services.
  listening_report_apply``): a report that metering accepts is also kept
  here, its replay is answered by metering before anything is kept;
- an episode's come to ``episode_report_apply``: the stream is a random id
  the player makes when it starts the episode; a seq already seen in that
  stream gets the answer it got the first time. Gaps and late arrivals are
  fine (a report lost for good loses only its own spans).

A report is refused whole (nothing kept, a 400 saying why) when a span ends
before it starts, lies outside the item (one second of slack for rounded
durations), or was played at a speed outside 0.5-3.5; and when a person's
episode reports received within the last ``CLAIM_WINDOW`` would together
have taken longer to play than that window and ``CLAIM_SLACK`` (what a
player may have held before its first report): listening time is what
payouts split, so no one may claim more of it than time allows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Episode
from ondas.playback.errors import ReportRefused
from ondas.playback.models import EpisodeReport, HeardSpan
from ondas.playback.services import MAX_INTERVALS, PlayedInterval

HEARD_MIN_RATE, HEARD_MAX_RATE = 0.5, 3.5
CLAIM_WINDOW = timedelta(hours=1)
CLAIM_SLACK = timedelta(minutes=15)
# A stated duration may be rounded down: a span may pass it by this much.
DURATION_SLACK_SECONDS = 1.0


def heard_validate(*, intervals: Sequence[PlayedInterval], duration: float) -> None:
    """Refuse spans that cannot have been played (ReportRefused, a 400)."""
    if len(intervals) > MAX_INTERVALS:
        raise ReportRefused(reason=_("Too many intervals in one report."))
    for interval in intervals:
        if not HEARD_MIN_RATE <= interval.rate <= HEARD_MAX_RATE:
            raise ReportRefused(
                reason=_("The playback rate must be between 0.5 and 3.5.")
            )
        if interval.end <= interval.start:
            raise ReportRefused(reason=_("An interval must end after it starts."))
        if interval.start < 0 or (
            duration > 0 and interval.end > duration + DURATION_SLACK_SECONDS
        ):
            raise ReportRefused(reason=_("An interval lies outside the item."))


def heard_spans_keep(
    *,
    user: User,
    intervals: Sequence[PlayedInterval],
    now: datetime,
    episode: Episode | None = None,
    audiobook: Audiobook | None = None,
) -> int:
    """Keep validated spans of one item; return how many were kept."""
    spans = HeardSpan.objects.bulk_create(
        HeardSpan(
            user=user,
            episode=episode,
            audiobook=audiobook,
            start_seconds=interval.start,
            end_seconds=interval.end,
            rate=interval.rate,
            heard_at=now,
        )
        for interval in intervals
    )
    return len(spans)


def episode_report_apply(
    *,
    user: User,
    episode: Episode,
    stream: uuid.UUID,
    seq: int,
    intervals: Sequence[PlayedInterval],
    now: datetime,
) -> dict[str, object]:
    """Keep what an episode player reports it played; return the answer."""
    replay = EpisodeReport.objects.filter(user=user, stream=stream, seq=seq).first()
    if replay is not None:
        return dict(replay.answer)
    heard_validate(intervals=intervals, duration=episode.duration_seconds)
    wall = sum((i.end - i.start) / i.rate for i in intervals)
    claimed = EpisodeReport.objects.filter(
        user=user, received_at__gt=now - CLAIM_WINDOW
    ).aggregate(total=Sum("wall_seconds"))["total"]
    if (claimed or 0.0) + wall > (CLAIM_WINDOW + CLAIM_SLACK).total_seconds():
        raise ReportRefused(
            reason=_("More listening was reported than the time that has passed.")
        )
    answer: dict[str, object] = {
        "kept": len(intervals),
        "audio_seconds": round(sum(i.end - i.start for i in intervals), 3),
    }
    try:
        with transaction.atomic():
            EpisodeReport.objects.create(
                user=user,
                episode=episode,
                stream=stream,
                seq=seq,
                received_at=now,
                wall_seconds=wall,
                answer=answer,
            )
            heard_spans_keep(user=user, intervals=intervals, now=now, episode=episode)
    except IntegrityError:
        # The same report arrived twice at once: the other one kept it.
        replay = EpisodeReport.objects.get(user=user, stream=stream, seq=seq)
        return dict(replay.answer)
    return answer
