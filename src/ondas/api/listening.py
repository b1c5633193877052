"""Listening reports, as the web players send them: a book's metered stream
(open it, then report what played, charged against the plan's hours) and an
episode's reports (what was heard, for the creator's numbers and payouts).

The same services as the web players (``playback.services``,
``playback.heard``) and the same body schemas, so an app's listening counts
exactly as the site's: a report sent twice is answered the same and counted
once, a stream opened on another device ends this one (409), and a book
beyond its sample needs hours left (403).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from ondas.api.auth import SiteSessionAuth, TokenAuth, signed_in
from ondas.api.errors import ERROR_RESPONSES
from ondas.catalog.selectors import audiobook_get_by_id
from ondas.core import clock
from ondas.playback.access import book_stream_allowance, episode_get_to_hear
from ondas.playback.heard import episode_report_apply
from ondas.playback.schemas import EpisodeReportIn, ReportIn, SessionOpenIn
from ondas.playback.services import (
    PlayedInterval,
    listening_report_apply,
    listening_session_open,
)

router = Router(tags=["listening"], auth=[TokenAuth(), SiteSessionAuth()])


class SessionOut(Schema):
    token: uuid.UUID
    left_seconds: float
    renews_at: datetime | None


class BookReportOut(Schema):
    charged_seconds: float
    left_seconds: float
    exhausted: bool
    renews_at: datetime | None


class EpisodeReportOut(Schema):
    kept: int
    audio_seconds: float


def _played(report: ReportIn | EpisodeReportIn) -> list[PlayedInterval]:
    return [
        PlayedInterval(start=i.start, end=i.end, rate=i.rate) for i in report.intervals
    ]


@router.post(
    "/audiobooks/{audiobook_id}/sessions",
    response={201: SessionOut, **ERROR_RESPONSES},
)
def book_session_open_api(
    request: HttpRequest, audiobook_id: int, body: SessionOpenIn
) -> Status[SessionOut]:
    """Start this device's stream of a book, the one the account meters now
    (``{device}``); any other open stream of the account ends."""
    user, now = signed_in(request), clock.now()
    book = audiobook_get_by_id(audiobook_id=audiobook_id)
    allowance = book_stream_allowance(user=user, now=now)
    session = listening_session_open(
        user=user, audiobook=book, device=body.device, now=now
    )
    return Status(
        201,
        SessionOut(
            token=session.token,
            left_seconds=round(allowance.left_seconds, 3),
            renews_at=allowance.renews_at,
        ),
    )


@router.post(
    "/sessions/{session_token}/reports",
    response={200: BookReportOut, **ERROR_RESPONSES},
)
def book_report_api(
    request: HttpRequest, session_token: uuid.UUID, body: ReportIn
) -> BookReportOut:
    """Report what the stream played (``{seq, intervals}``); it is charged,
    once, against the hours left."""
    answer = listening_report_apply(
        user=signed_in(request),
        session_token=str(session_token),
        seq=body.seq,
        intervals=_played(body),
        now=clock.now(),
    )
    return BookReportOut.model_validate(answer)


@router.post(
    "/episodes/{episode_id}/reports",
    response={200: EpisodeReportOut, **ERROR_RESPONSES},
)
def episode_report_api(
    request: HttpRequest, episode_id: int, body: EpisodeReportIn
) -> EpisodeReportOut:
    """Report what an episode player heard (``{stream, seq, intervals}``)."""
    user, now = signed_in(request), clock.now()
    episode = episode_get_to_hear(user=user, episode_id=episode_id, now=now)
    answer = episode_report_apply(
        user=user,
        episode=episode,
        stream=body.stream,
        seq=body.seq,
        intervals=_played(body),
        now=now,
    )
    return EpisodeReportOut.model_validate(answer)
