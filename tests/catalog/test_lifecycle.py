"""An episode's lifecycle, seen from every place a listener could meet it.

Each state (draft, scheduled, published, unpublished, deleted) against each
place: the show page, the episode page, the public and private feeds, the
chapters files, the audio (public and private), the episode counts of the
home and library lists, and the progress endpoint. Only a published episode
whose time has come is anywhere.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.errors import (
    EpisodeGuidRetired,
    EpisodeNeedsAudio,
    EpisodeStateInvalid,
    EpisodeTimePast,
)
from ondas.catalog.models import (
    AudioFile,
    Chapter,
    Episode,
    EpisodeGuidTombstone,
    Show,
)
from ondas.catalog.selectors import show_list
from ondas.catalog.services import audio_file_create, episode_create
from ondas.catalog.services.authored import PublishWhen, studio_episode_create
from ondas.catalog.services.lifecycle import (
    episode_delete,
    episode_loss,
    episode_publish,
    episode_unpublish,
)
from ondas.core import clock
from ondas.core.errors import ErrorCode
from ondas.library.services import follow_show
from ondas.playback.models import ListeningProgress
from ondas.playback.selectors import episode_history_for_user
from tests.accounts.factories import user_make
from tests.support.feeds import tiny_mp3
from tests.support.private_feeds import exclusive_plan_make, key_make, subscribe


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are checked in English."""


def _audio(name: str = "studio.mp3") -> AudioFile:
    return audio_file_create(
        name=name,
        content=io.BytesIO(tiny_mp3(3)),
        mime_type="audio/mpeg",
        duration_seconds=3.0,
    )


def _draft(show: Show, *, title: str = "Hecho en el estudio") -> Episode:
    episode = studio_episode_create(
        show=show, title=title, description="<p>Nuevo</p>", audio_id=_audio().pk
    )
    Chapter.objects.create(episode=episode, start_seconds=0, title="Inicio")
    return episode


def _in_state(show: Show, state: str) -> Episode:
    episode = _draft(show)
    if state == "scheduled":
        episode_publish(episode=episode, at=clock.now() + timedelta(days=1))
    elif state in ("published", "unpublished", "deleted"):
        episode_publish(episode=episode)
    if state == "unpublished":
        episode_unpublish(episode=episode)
    if state == "deleted":
        episode_delete(episode=episode)
    episode.refresh_from_db()
    return episode


@dataclass
class Places:
    show: Show
    episode: Episode
    audio_id: int
    token: str
    subscriber: User


@pytest.fixture
def subscriber(small_show: Show) -> User:
    person: User = user_make(email="suscrita@example.com")
    subscribe(person, exclusive_plan_make())
    return person


Check = Callable[[Places], bool]


def _body(client: Client, url: str) -> tuple[int, bytes]:
    answer = client.get(url)
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content  # type: ignore[attr-defined]
    return answer.status_code, content


def _show_page(p: Places) -> bool:
    status, body = _body(Client(), reverse("web:show-detail", args=[p.show.slug]))
    assert status == 200
    return p.episode.title.encode() in body


def _episode_page(p: Places) -> bool:
    url = reverse("web:episode-detail", args=[p.show.slug, p.episode.slug])
    status, _body_ = _body(Client(), url)
    assert status in (200, 404)
    return status == 200


def _public_feed(p: Places) -> bool:
    status, body = _body(Client(), reverse("feeds:show-feed", args=[p.show.slug]))
    assert status == 200
    return p.episode.guid.encode() in body


def _private_feed(p: Places) -> bool:
    url = reverse("feeds:private-feed", args=[p.token, p.show.slug])
    status, body = _body(Client(), url)
    assert status == 200
    return p.episode.guid.encode() in body


def _chapters(p: Places) -> bool:
    url = reverse("feeds:episode-chapters", args=[p.show.slug, p.episode.slug])
    return Client().get(url).status_code == 200


def _private_chapters(p: Places) -> bool:
    url = reverse(
        "feeds:private-episode-chapters", args=[p.token, p.show.slug, p.episode.slug]
    )
    return Client().get(url).status_code == 200


def _audio_public(p: Places) -> bool:
    answer = Client().get(reverse("playback:audio", args=[p.audio_id]))
    assert answer.status_code in (200, 206, 404)
    return answer.status_code != 404


def _audio_private(p: Places) -> bool:
    url = reverse("playback:private-audio", args=[p.audio_id, p.token, "mp3"])
    answer = Client().get(url)
    assert answer.status_code in (200, 206, 404)
    return answer.status_code != 404


def _counted(p: Places) -> bool:
    others = Episode.objects.listed(now=clock.now()).filter(show=p.show)
    counted = show_list().get(pk=p.show.pk).episode_count
    return bool(counted == others.count() and p.episode in others)


def _progress(p: Places) -> bool:
    client = Client()
    client.force_login(p.subscriber)
    url = reverse("playback:progress", args=["episode", p.episode.pk])
    answer = client.put(
        url,
        data='{"position_seconds": 1, "played_at": "2026-01-01T00:00:00Z"}',
        content_type="application/json",
    )
    return answer.status_code < 400


PLACES: dict[str, Check] = {
    "show page": _show_page,
    "episode page": _episode_page,
    "public feed": _public_feed,
    "private feed": _private_feed,
    "chapters file": _chapters,
    "private chapters file": _private_chapters,
    "audio": _audio_public,
    "private feed audio": _audio_private,
    "home and library counts": _counted,
    "progress": _progress,
}
STATES = ["draft", "scheduled", "published", "unpublished", "deleted"]


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("state", STATES)
def test_an_episode_is_seen_only_when_published_and_its_time_has_come(
    state: str, place: str, small_show: Show, subscriber: User
) -> None:
    episode = _in_state(small_show, state)
    audio_id = episode.audio_id or AudioFile.objects.order_by("-pk").first().pk  # type: ignore[union-attr]
    _key, token = key_make(subscriber, small_show)
    places = Places(small_show, episode, audio_id, token, subscriber)

    seen = PLACES[place](places)

    assert seen is (state == "published"), f"{state} episode in the {place}: {seen}"


def test_a_scheduled_episode_goes_live_by_itself_at_its_time(
    settings: Settings, small_show: Show, subscriber: User
) -> None:
    episode = _in_state(small_show, "scheduled")
    _key, token = key_make(subscriber, small_show)
    assert episode.audio_id is not None
    places = Places(small_show, episode, episode.audio_id, token, subscriber)
    assert not _public_feed(places)

    settings.ONDAS_CLOCK_SHIFT = timedelta(days=1, minutes=1)

    assert all(PLACES[name](places) for name in PLACES), "not everywhere at its time"


def test_publishing_needs_audio_and_a_time_to_come(small_show: Show) -> None:
    bare = studio_episode_create(show=small_show, title="Sin audio")
    assert bare.status == Episode.Status.DRAFT
    with pytest.raises(EpisodeNeedsAudio) as needs:
        episode_publish(episode=bare)
    assert needs.value.code == ErrorCode.EPISODE_NEEDS_AUDIO
    with pytest.raises(EpisodeNeedsAudio):
        studio_episode_create(show=small_show, title="Ya", when=PublishWhen.NOW)
    with pytest.raises(EpisodeTimePast):
        episode_publish(
            episode=_draft(small_show), at=clock.now() - timedelta(minutes=1)
        )
    bare.refresh_from_db()
    assert bare.status == Episode.Status.DRAFT


def test_unpublishing_keeps_the_guid_and_publishing_again_brings_it_back(
    small_show: Show,
) -> None:
    episode = _in_state(small_show, "unpublished")
    guid = episode.guid

    again = episode_publish(episode=episode)

    assert again.guid == guid
    assert Episode.objects.listed(now=clock.now()).filter(pk=episode.pk).exists()


def test_a_deleted_episode_cannot_come_back_or_be_deleted_twice(
    small_show: Show,
) -> None:
    episode = _in_state(small_show, "deleted")
    for action in (episode_publish, episode_unpublish, episode_delete):
        with pytest.raises(EpisodeStateInvalid) as refused:
            action(episode=episode)
        assert refused.value.code == ErrorCode.EPISODE_STATE_INVALID


def test_deleting_frees_the_audio_and_leaves_a_tombstone(
    small_show: Show, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    episode = _in_state(small_show, "published")
    assert episode.audio is not None
    audio_id, name = episode.audio.pk, episode.audio.file.name
    assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        episode_delete(episode=episode)

    episode.refresh_from_db()
    assert episode.status == Episode.Status.DELETED
    assert episode.deleted_at is not None
    assert not AudioFile.objects.filter(pk=audio_id).exists()
    assert not default_storage.exists(name)
    assert not Chapter.objects.filter(episode=episode).exists()
    assert EpisodeGuidTombstone.objects.filter(
        show=small_show, guid=episode.guid
    ).exists()


def test_deleting_keeps_audio_another_episode_uses(small_show: Show) -> None:
    shared = Episode.objects.get(guid="small-future").audio
    assert shared is not None
    episode = episode_create(
        show=small_show, guid="shares", title="Comparte", published_at=clock.now()
    )
    Episode.objects.filter(pk=episode.pk).update(audio=shared)

    episode_delete(episode=episode)

    assert AudioFile.objects.filter(pk=shared.pk).exists()


def test_a_deleted_guid_is_never_reused(small_show: Show) -> None:
    episode = episode_create(
        show=small_show,
        guid="urn:uuid:0e3c1f1e-0000-4000-8000-000000000001",
        title="Se irá",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        chapters=[ChapterInput(0.0, "Uno")],
    )
    episode_delete(episode=episode)
    # Even once the row itself is purged, the tombstone holds.
    Episode.objects.filter(pk=episode.pk).delete()

    with pytest.raises(EpisodeGuidRetired) as retired:
        episode_create(
            show=small_show,
            guid=episode.guid,
            title="Otra",
            published_at=clock.now(),
        )

    assert retired.value.code == ErrorCode.EPISODE_GUID_RETIRED
    assert not Episode.objects.filter(show=small_show, guid=episode.guid).exists()


def test_studio_guids_are_uuid_urns_and_slugs_unique_per_show(small_show: Show) -> None:
    first = _draft(small_show, title="Mismo título")
    second = _draft(small_show, title="Mismo título")
    episode_delete(episode=second)
    third = _draft(small_show, title="Mismo título")

    assert first.guid.startswith("urn:uuid:")
    assert len({first.guid, second.guid, third.guid}) == 3
    assert [first.slug, second.slug, third.slug] == [
        "mismo-titulo",
        "mismo-titulo-2",
        "mismo-titulo-3",
    ]


def test_history_keeps_a_deleted_episode_as_no_longer_available(
    small_show: Show, listener: User
) -> None:
    kept = Episode.objects.get(guid="small-1")
    gone = _in_state(small_show, "published")
    for position, episode in enumerate((kept, gone), start=1):
        ListeningProgress.objects.create(
            user=listener,
            kind=ListeningProgress.Kind.EPISODE,
            item_id=episode.pk,
            position_seconds=1.0,
            played_at=datetime(2026, 1, position, tzinfo=UTC),
        )
    purged = _in_state(small_show, "deleted")
    ListeningProgress.objects.create(
        user=listener,
        kind=ListeningProgress.Kind.EPISODE,
        item_id=purged.pk,
        position_seconds=1.0,
        played_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    Episode.objects.filter(pk=purged.pk).delete()

    episode_delete(episode=gone)
    rows = episode_history_for_user(user=listener, now=clock.now())

    assert [(r.episode.title, r.episode.available) for r in rows] == [
        (gone.title, False),
        (kept.title, True),
        ("", False),
    ]
    assert rows[0].episode.status_label == "No longer available"
    assert rows[0].episode.episode is None
    assert rows[1].episode.episode == kept


def test_the_loss_of_a_delete_is_counted_for_the_confirmation(
    small_show: Show, listener: User, subscriber: User
) -> None:
    episode = _in_state(small_show, "published")
    follow_show(user=listener, show=small_show)
    follow_show(user=subscriber, show=small_show)
    key_make(subscriber, small_show)
    ListeningProgress.objects.create(
        user=listener,
        kind=ListeningProgress.Kind.EPISODE,
        item_id=episode.pk,
        position_seconds=1.0,
        played_at=clock.now(),
    )

    loss = episode_loss(episode=episode)

    assert loss.listed is True
    assert (loss.in_progress, loss.followers, loss.private_feeds) == (1, 2, 1)
    assert loss.in_public_feed is True
    assert loss.in_private_feeds is True
    assert loss.frees_audio is True
    draft = episode_loss(episode=_draft(small_show, title="Borrador"))
    assert (draft.listed, draft.in_public_feed, draft.in_private_feeds) == (
        False,
        False,
        False,
    )
