"""What the players send and get as JSON, as pydantic schemas.

The web players' endpoints (``playback.views``) read their bodies with these
(through ``core.jsonbody.json_model``), and the JSON API (``ondas.api``) takes
the same ones: there is one way to read JSON. Shapes only; what a number may
mean (a stretch played backwards, a rate no player has) is the services' to
refuse.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from django.utils.translation import gettext as _
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from ondas.playback.heard import HEARD_MAX_RATE, HEARD_MIN_RATE
from ondas.playback.services import MAX_INTERVALS, MAX_RATE, MIN_RATE

MAX_SEQ = 2**31 - 1
MAX_SECONDS = 10.0**7


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("Text may not hold a NUL character."))
    return value


def _iso_text(value: object) -> object:
    # A number would pass as a Unix time: only ISO 8601 text is a moment here.
    if not isinstance(value, str):
        raise ValueError(_("It must be a date and time with its time zone."))
    return value


Seconds = Annotated[
    float, Field(strict=True, ge=0, le=MAX_SECONDS, allow_inf_nan=False)
]
Device = Annotated[
    str,
    StringConstraints(strict=True, max_length=64),
    BeforeValidator(lambda v: _no_nul(v) if isinstance(v, str) else v),
]
Note = Annotated[
    str,
    StringConstraints(strict=True, max_length=500),
    BeforeValidator(lambda v: _no_nul(v) if isinstance(v, str) else v),
]
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


def _within(value: float, info: ValidationInfo, key: str) -> float:
    """Refuse a position past the item's end, when the caller says where it is."""
    high = (info.context or {}).get(key)
    if isinstance(high, int | float) and value > high:
        raise ValueError(
            _("“position_seconds” must be a number from 0 to %(high)s.")
            % {"high": int(high) if float(high).is_integer() else round(high, 3)}
        )
    return value


class SessionOpenIn(BaseModel):
    device: Device = ""


class IntervalIn(BaseModel):
    start: Seconds
    end: Seconds
    rate: Annotated[
        float, Field(strict=True, ge=MIN_RATE, le=MAX_RATE, allow_inf_nan=False)
    ]


class ReportIn(BaseModel):
    seq: Annotated[int, Field(strict=True, ge=1, le=MAX_SEQ)]
    intervals: Annotated[list[IntervalIn], Field(max_length=MAX_INTERVALS)]


class EpisodeIntervalIn(IntervalIn):
    # The episode player's rates (``heard``): wider than the books' metering.
    rate: Annotated[
        float,
        Field(strict=True, ge=HEARD_MIN_RATE, le=HEARD_MAX_RATE, allow_inf_nan=False),
    ]


class EpisodeReportIn(BaseModel):
    """What the episode player reports: its stream (a UUID it made), the
    report's number in that stream, and what it played."""

    stream: uuid.UUID
    seq: Annotated[int, Field(strict=True, ge=1, le=MAX_SEQ)]
    intervals: Annotated[list[EpisodeIntervalIn], Field(max_length=MAX_INTERVALS)]


class ProgressIn(BaseModel):
    position_seconds: Seconds
    played_at: Moment | None = None
    device: Device = ""

    @field_validator("position_seconds")
    @classmethod
    def _inside_item(cls, value: float, info: ValidationInfo) -> float:
        return _within(value, info, "max_position")


class BookmarkIn(BaseModel):
    position_seconds: Seconds
    note: Note = ""

    @field_validator("position_seconds")
    @classmethod
    def _inside_book(cls, value: float, info: ValidationInfo) -> float:
        return _within(value, info, "max_position")


class ProgressOut(BaseModel):
    position_seconds: float | None
    played_at: datetime | None
    device: str


class ProgressSaved(ProgressOut):
    applied: bool


class BookmarkOut(BaseModel):
    id: int
    position_seconds: float
    note: str
    created_at: datetime | None
