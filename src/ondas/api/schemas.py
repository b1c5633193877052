"""What the API answers, as schemas (the OpenAPI document is made from them).

Bodies the players send (progress, bookmarks) are playback's own schemas
(``playback.schemas``): the web players and the API read JSON one way.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class Page(Schema):
    next: str | None


class ShowOut(Schema):
    slug: str
    title: str
    author: str
    description: str
    language: str
    explicit: bool
    kind: str
    categories: list[str]
    episode_count: int | None = None
    url: str


class ShowPage(Page):
    items: list[ShowOut]


class EpisodeOut(Schema):
    id: int
    slug: str
    title: str
    description: str
    published_at: datetime
    duration_seconds: float | None
    season: int | None
    number: int | None
    kind: str
    access: str
    locked: bool
    audio_url: str | None
    url: str


class EpisodePage(Page):
    items: list[EpisodeOut]


class ChapterOut(Schema):
    start_seconds: float
    title: str
    url: str


class TranscriptOut(Schema):
    language: str
    mime_type: str
    url: str


class EpisodeDetail(EpisodeOut):
    chapters: list[ChapterOut]
    transcripts: list[TranscriptOut]
    transcripts_hidden: bool


class AudiobookOut(Schema):
    slug: str
    title: str
    authors: str
    narrators: str
    publisher: str
    description: str
    language: str
    duration_seconds: float
    sample_seconds: int
    url: str


class AudiobookPage(Page):
    items: list[AudiobookOut]


class BookChapterOut(Schema):
    start_seconds: float
    title: str


class BookChapterPage(Page):
    items: list[BookChapterOut]


class FollowIn(Schema):
    show: str


class BookmarkOutItem(Schema):
    id: int
    position_seconds: float
    note: str
    created_at: datetime | None


class BookmarkPage(Page):
    items: list[BookmarkOutItem]


class SubscriptionOut(Schema):
    state: str | None
    plan: str | None
    ends_at: datetime | None
    next_charge_at: datetime | None
    exclusive: bool
    audiobook_seconds_total: int
    audiobook_seconds_used: float
    audiobook_seconds_left: float
    allowance_renews_at: datetime | None


class PrivateFeedOut(Schema):
    show: str
    title: str
    url: str | None


class PrivateFeedPage(Page):
    entitled: bool
    items: list[PrivateFeedOut]
