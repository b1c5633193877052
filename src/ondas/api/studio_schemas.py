"""What the studio's reads answer (``api.studio``), as schemas."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema

from ondas.api.schemas import Page


class StudioShowOut(Schema):
    id: int
    slug: str
    title: str
    role: str  # owner, editor or analyst
    episodes: int  # all but deleted ones
    drafts: int
    scheduled: int
    follows_feed: bool  # imported, its refreshes set the feed's fields
    url: str  # the public page
    studio_url: str


class StudioShowPage(Page):
    items: list[StudioShowOut]


class StudioEpisodeOut(Schema):
    id: int
    slug: str
    title: str
    state: str  # draft, scheduled, published or unpublished
    published_at: datetime | None  # None for a draft
    kind: str
    access: str
    duration_seconds: float | None
    season: int | None
    number: int | None
    has_audio: bool
    studio_url: str


class StudioEpisodePage(Page):
    items: list[StudioEpisodeOut]


class DayNumbersOut(Schema):
    day: date
    downloads: int
    download_listeners: int
    plays: int
    play_listeners: int


class ShowNumbersOut(Schema):
    show_id: int
    days: int
    since: date
    until: date
    downloads: int
    plays: int
    busiest_day_listeners: int  # the most unique listeners (downloads) of a day
    per_day: list[DayNumbersOut]  # oldest first, every day, zeros too


class StudioBookOut(Schema):
    id: int
    slug: str
    title: str
    role: str
    parts: int
    url: str
    studio_url: str


class StudioBookPage(Page):
    items: list[StudioBookOut]


class StudioPartOut(Schema):
    id: int
    position: int
    title: str
    start_seconds: float  # where the part sits on the book's timeline
    duration_seconds: float
    mime_type: str


class StudioPartPage(Page):
    items: list[StudioPartOut]
