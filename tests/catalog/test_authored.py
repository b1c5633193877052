"""Creating and editing episodes from the studio, and what a feed owns."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from ondas.catalog.errors import EpisodeNeedsAudio, FieldsManagedByFeed
from ondas.catalog.models import AudioFile, Episode, Show
from ondas.catalog.services import audio_file_create
from ondas.catalog.services.authored import (
    PublishWhen,
    episode_managed_fields,
    show_managed_fields,
    studio_episode_create,
    studio_episode_update,
)
from ondas.core import clock
from ondas.core.errors import ErrorCode, NotFoundError
from ondas.ingest.models import FeedSource, RemoteEpisode
from ondas.ingest.selectors import show_is_feed_managed
from tests.support.feeds import tiny_mp3


def _audio(seconds: int = 3) -> AudioFile:
    return audio_file_create(
        name="a.mp3",
        content=io.BytesIO(tiny_mp3(seconds)),
        mime_type="audio/mpeg",
        duration_seconds=float(seconds),
    )


def _edit(episode: Episode, **changes: object) -> Episode:
    fields: dict[str, object] = {
        "title": episode.title,
        "description": episode.description,
        "season": episode.season,
        "number": episode.number,
        "kind": episode.kind,
        "access": episode.access,
        "audio_id": episode.audio_id,
    }
    fields.update(changes)
    return studio_episode_update(episode=episode, **fields)  # type: ignore[arg-type]


def _imported(show: Show) -> Show:
    source = FeedSource.objects.create(
        show=show,
        url="https://publisher.example.com/feed.xml",
        next_refresh_at=clock.now(),
    )
    RemoteEpisode.objects.create(
        episode=Episode.objects.get(guid="small-1"),
        source=source,
        enclosure_url="https://cdn.example.com/1.mp3",
        item_sha256="x",
        last_seen_at=clock.now(),
    )
    return show


def test_create_sanitises_and_takes_the_audio_length(small_show: Show) -> None:
    audio = _audio(3)
    episode = studio_episode_create(
        show=small_show,
        title="  Nuevo  ",
        description='<p onclick="x()">Hola <script>mal()</script><b>mundo</b></p>',
        season=2,
        number=7,
        kind=Episode.Kind.BONUS,
        access=Episode.Access.EXCLUSIVE,
        audio_id=audio.pk,
        when=PublishWhen.AT,
        at=clock.now() + timedelta(hours=1),
    )
    assert episode.title == "Nuevo"
    assert episode.description == "<p>Hola <b>mundo</b></p>"
    assert (episode.season, episode.number, episode.kind) == (2, 7, "bonus")
    assert episode.duration_seconds == 3.0
    assert episode.status == Episode.Status.PUBLISHED
    assert not episode.is_listed(now=clock.now())


def test_create_refuses_audio_that_does_not_exist(small_show: Show) -> None:
    with pytest.raises(NotFoundError) as missing:
        studio_episode_create(show=small_show, title="X", audio_id=10**9)
    assert missing.value.code == ErrorCode.NOT_FOUND
    assert not Episode.objects.filter(title="X").exists()


def test_update_keeps_the_slug_and_refuses_taking_audio_from_a_published_one(
    small_show: Show,
) -> None:
    episode = studio_episode_create(
        show=small_show, title="Primero", audio_id=_audio().pk, when=PublishWhen.NOW
    )
    renamed = _edit(episode, title="Otro nombre", access=Episode.Access.EXCLUSIVE)
    assert (renamed.slug, renamed.title) == ("primero", "Otro nombre")
    assert renamed.is_exclusive

    with pytest.raises(EpisodeNeedsAudio):
        _edit(renamed, audio_id=None)
    renamed.refresh_from_db()
    assert renamed.audio_id is not None


def test_a_feed_managed_show_refuses_what_its_refresh_overwrites(
    small_show: Show,
) -> None:
    _imported(small_show)
    imported = Episode.objects.get(guid="small-1")
    assert show_is_feed_managed(show=small_show) is True
    assert "title" in show_managed_fields(show=small_show)

    with pytest.raises(FieldsManagedByFeed) as refused:
        _edit(imported, title="Mío", season=9)
    assert refused.value.code == ErrorCode.FIELDS_MANAGED_BY_FEED
    assert refused.value.data["fields"] == ["season", "title"]
    imported.refresh_from_db()
    assert imported.title != "Mío"

    # Ondas's own choices stay the creator's, and studio-made episodes too.
    assert _edit(imported, access=Episode.Access.EXCLUSIVE).is_exclusive
    own = studio_episode_create(show=small_show, title="Propio")
    assert episode_managed_fields(episode=own) == frozenset()
    assert _edit(own, title="Propio 2").title == "Propio 2"


def test_a_show_not_imported_manages_nothing(small_show: Show) -> None:
    assert show_is_feed_managed(show=small_show) is False
    assert show_managed_fields(show=small_show) == frozenset()
    assert episode_managed_fields(episode=Episode.objects.get(guid="small-1")) == (
        frozenset()
    )
