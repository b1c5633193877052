"""A listener with a bit of everything Ondas keeps, made through the services."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Episode, Show
from ondas.catalog.services import (
    AudiobookPartInput,
    audio_file_create,
    audiobook_create,
    episode_create,
    show_create,
)
from ondas.feedkeys.services import feed_key_create
from ondas.library.services import follow_show
from ondas.playback.heard import heard_spans_keep
from ondas.playback.services import PlayedInterval, bookmark_create, progress_save
from tests.accounts.factories import user_make
from tests.support.billing import subscribe
from tests.support.private_feeds import exclusive_plan_make

T0 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@dataclass
class History:
    person: User
    other: User
    show: Show
    episode: Episode
    book: Audiobook


def _book() -> Audiobook:
    audio = audio_file_create(
        name="parte.mp3",
        content=io.BytesIO(b"\xff\xfb" * 500),
        mime_type="audio/mpeg",
        duration_seconds=1800,
    )
    return audiobook_create(
        title="El libro de Ana",
        authors="Ana Autora",
        language="es",
        published_at=T0 - timedelta(days=10),
        parts=[AudiobookPartInput(audio=audio, title="Parte 1")],
        sample_seconds=60,
    )


def history_make(*, now: datetime) -> History:
    """``person`` follows, plays, bookmarks, pays and has a private feed;
    ``other`` heard the same episode, so totals are more than one person's."""
    show = show_create(title="Ondas cortas", author="Ana", language="es")
    episode = episode_create(
        show=show,
        guid="uno",
        title="Episodio uno",
        published_at=T0 - timedelta(days=30),
        duration_seconds=1800.0,
    )
    book = _book()
    person = user_make(email="privada@example.com")
    other = user_make(email="otra@example.com")
    follow_show(user=person, show=show, now=now)
    progress_save(
        user=person,
        kind="episode",
        item_id=episode.pk,
        position_seconds=300.0,
        played_at=now,
        device="web",
        now=now,
    )
    bookmark_create(
        user=person, audiobook=book, position_seconds=90.0, note="aquí", now=now
    )
    for who, end in ((person, 600.0), (other, 900.0)):
        heard_spans_keep(
            user=who,
            episode=episode,
            intervals=[PlayedInterval(start=0.0, end=end, rate=2.0)],
            now=now,
        )
    subscribe(person, exclusive_plan_make(), now=now)
    feed_key_create(user=person, show=show, now=now)
    return History(person=person, other=other, show=show, episode=episode, book=book)
