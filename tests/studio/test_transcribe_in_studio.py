"""The studio asks the worker for a transcript made from an episode's English
audio, offers it only where it can work, and the result is an ordinary
transcript the creator can remove."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from ondas.catalog.models import Episode, Transcript
from ondas.catalog.services import audio_file_create
from ondas.catalog.services.authored import studio_episode_create
from ondas.studio.services.shows import show_create_in_studio
from tests.studio.conftest import Cast, show_input
from tests.support.speech import spoken_mp3

pytestmark = pytest.mark.django_db

SPOKEN = "Good morning. Today we talk about the old lighthouse and the green garden."
BUTTON = "Transcribe the audio"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are checked in English."""


def _episode(cast: Cast, language: str) -> Episode:
    show = show_create_in_studio(
        data=show_input(f"Harbour {language}", language=language),
        acting_user=cast.owner,
    )
    data, seconds = spoken_mp3(SPOKEN)
    audio = audio_file_create(
        name="harbour.mp3",
        content=io.BytesIO(data),
        mime_type="audio/mpeg",
        duration_seconds=seconds,
    )
    return studio_episode_create(show=show, title="Keeper", audio_id=audio.pk)


def _edit(episode: Episode) -> str:
    return f"/studio/shows/{episode.show_id}/episodes/{episode.pk}/"


def test_the_studio_queues_a_transcript_of_english_audio(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    episode = _episode(cast, "en")
    client.force_login(cast.owner)
    assert BUTTON in client.get(_edit(episode)).content.decode()

    # The tests' task backend runs the queued task at once, after commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{_edit(episode)}transcripts/transcribe/")

    assert response.status_code == 302
    transcript = Transcript.objects.get(episode=episode)
    with transcript.file.open("rb") as stored:
        text = stored.read().decode().lower()
    assert text.startswith("webvtt")
    assert "lighthouse" in text and "garden" in text
    page = client.get(_edit(episode)).content.decode()
    assert "The transcript is being made from the audio" in page
    assert "WebVTT · the show's language" in page
    assert BUTTON not in page  # it has a transcript now: remove it to redo


def test_a_spanish_show_is_not_offered_and_a_post_is_refused(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    episode = _episode(cast, "es")
    client.force_login(cast.owner)
    assert BUTTON not in client.get(_edit(episode)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{_edit(episode)}transcripts/transcribe/", follow=True)

    assert "This episode&#x27;s audio cannot be transcribed here." in (
        response.content.decode()
    )
    assert not Transcript.objects.exists()


def test_an_analyst_may_not_ask(client: Client, cast: Cast) -> None:
    episode = _episode(cast, "en")
    client.force_login(cast.analyst)

    response = client.post(f"{_edit(episode)}transcripts/transcribe/")

    assert response.status_code in (403, 404)
    assert not Transcript.objects.exists()
