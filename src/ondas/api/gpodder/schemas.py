"""The bodies gpodder.net clients send, checked before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Url = Annotated[str, Field(min_length=1, max_length=2000)]
Seconds = Annotated[int, Field(ge=0, le=10**7)]


class DeviceIn(BaseModel):
    caption: str | None = Field(None, max_length=255)
    type: str | None = Field(None, max_length=16)


class SubscriptionsIn(BaseModel):
    add: list[Url] = Field(default_factory=list, max_length=1000)
    remove: list[Url] = Field(default_factory=list, max_length=1000)


class EpisodeActionIn(BaseModel):
    """One action: ``play`` may carry started, position and total (seconds)."""

    model_config = ConfigDict(extra="ignore")

    podcast: Url
    episode: Url
    action: Literal["download", "play", "delete", "new"]
    device: str = Field("", max_length=64)
    guid: str = Field("", max_length=255)
    timestamp: datetime | None = None
    started: Seconds | None = None
    position: Seconds | None = None
    total: Seconds | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("guid", "device", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        # gpodder.net's times carry no zone: they are UTC.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _play_fields(self) -> EpisodeActionIn:
        timed = (self.started, self.position, self.total)
        if self.action != "play" and any(v is not None for v in timed):
            raise ValueError(_("Only a play action has started, position and total."))
        if self.position is None and (
            self.started is not None or self.total is not None
        ):
            raise ValueError(_("A play with started or total needs its position."))
        return self
