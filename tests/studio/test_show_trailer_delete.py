"""A show's trailer from its studio page; deleting a show (owner only, after a
page that says what listeners lose); the admin's deletes go through the
services (a deleted episode's GUID is tombstoned)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from ondas.accounts.models import User
from ondas.catalog.models import AudioFile, Episode, EpisodeGuidTombstone, Show
from ondas.catalog.services import audio_file_create
from ondas.catalog.services.authored import PublishWhen, studio_episode_create
from ondas.library.services import follow_show
from ondas.studio.models import Membership
from tests.studio.conftest import Cast

pytestmark = pytest.mark.django_db


def _episode(show: Show, title: str) -> Episode:
    audio = audio_file_create(
        name=f"{title}.mp3",
        content=io.BytesIO(b"ID3" + bytes(2048)),
        mime_type="audio/mpeg",
        duration_seconds=30,
    )
    return studio_episode_create(
        show=show, title=title, audio_id=audio.pk, when=PublishWhen.NOW
    )


def test_an_editor_chooses_the_trailer_and_the_feed_says_so(
    client: Client, cast: Cast
) -> None:
    first = _episode(cast.show, "Avance")
    second = _episode(cast.show, "Otro avance")
    client.force_login(cast.editor)
    url = f"/studio/shows/{cast.show.pk}/trailer/"
    page = client.get(f"/studio/shows/{cast.show.pk}/").content.decode()
    assert 'name="episode"' in page and "Avance" in page
    assert client.post(url, {"episode": first.pk}).status_code == 302
    assert client.post(url, {"episode": second.pk}).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.kind, second.kind) == (Episode.Kind.FULL, Episode.Kind.TRAILER)
    response = client.get(f"/shows/{cast.show.slug}/feed.xml")
    feed = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "<itunes:episodeType>trailer</itunes:episodeType>" in feed
    assert feed.count("<itunes:episodeType>trailer</itunes:episodeType>") == 1
    assert client.post(url, {"episode": ""}).status_code == 302
    second.refresh_from_db()
    assert second.kind == Episode.Kind.FULL


def test_another_shows_episode_cannot_be_the_trailer(
    client: Client, cast: Cast
) -> None:
    theirs = _episode(cast.other_show, "Ajeno")
    client.force_login(cast.owner)
    response = client.post(
        f"/studio/shows/{cast.show.pk}/trailer/", {"episode": theirs.pk}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.kind == Episode.Kind.FULL


def test_the_delete_page_says_what_listeners_lose(
    client: Client, cast: Cast, listener: User
) -> None:
    _episode(cast.show, "Uno")
    _episode(cast.show, "Dos")
    follow_show(user=listener, show=cast.show)
    client.force_login(cast.owner)
    page = client.get(f"/studio/shows/{cast.show.pk}/delete/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 episodes they can hear now" in text
    assert "1 person follows the show" in text
    assert Show.objects.filter(pk=cast.show.pk).exists()


def test_the_owner_deletes_the_show_and_its_files_go(
    client: Client,
    cast: Cast,
    media_root: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    episode = _episode(cast.show, "Uno")
    audio = AudioFile.objects.get(pk=episode.audio_id)
    stored = media_root / audio.file.name
    assert stored.is_file()
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/studio/shows/{cast.show.pk}/delete/")
    assert response.status_code == 302
    assert not Show.objects.filter(pk=cast.show.pk).exists()
    assert not Episode.objects.filter(pk=episode.pk).exists()
    assert not AudioFile.objects.filter(pk=audio.pk).exists()
    assert not stored.exists()
    assert not Membership.objects.filter(show_id=cast.show.pk).exists()
    assert client.get(f"/shows/{cast.show.slug}/").status_code == 404
    assert Show.objects.filter(pk=cast.other_show.pk).exists()


def test_the_admins_episode_delete_writes_a_tombstone(
    client: Client, cast: Cast
) -> None:
    episode = _episode(cast.show, "Borrable")
    staff = User.objects.create_superuser("root3@example.com", "pw")
    client.force_login(staff)
    url = f"/admin/catalog/episode/{episode.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 302
    episode.refresh_from_db()
    assert episode.status == Episode.Status.DELETED
    assert EpisodeGuidTombstone.objects.filter(
        show=cast.show, guid=episode.guid
    ).exists()
    # A second delete purges the row; the tombstone outlives it.
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Episode.objects.filter(pk=episode.pk).exists()
    assert EpisodeGuidTombstone.objects.filter(
        show=cast.show, guid=episode.guid
    ).exists()


def test_the_admins_bulk_episode_delete_writes_tombstones(
    client: Client, cast: Cast
) -> None:
    episodes = [_episode(cast.show, f"Lote {n}") for n in range(2)]
    staff = User.objects.create_superuser("root4@example.com", "pw")
    client.force_login(staff)
    response = client.post(
        "/admin/catalog/episode/",
        {
            "action": "delete_selected",
            "_selected_action": [e.pk for e in episodes],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    guids = {e.guid for e in episodes}
    assert (
        set(
            EpisodeGuidTombstone.objects.filter(show=cast.show).values_list(
                "guid", flat=True
            )
        )
        == guids
    )
    assert set(
        Episode.objects.filter(pk__in=[e.pk for e in episodes]).values_list(
            "status", flat=True
        )
    ) == {Episode.Status.DELETED}
