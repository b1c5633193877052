"""The studio's preview of an episode's audio: seekable like the public audio
(Range, 416, HEAD, validators), for the show's editors and owners only, and
never a line in the delivery log."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponseBase
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.analytics.servelog import ServeLog, delivery_record
from ondas.catalog.models import Episode
from ondas.catalog.services.authored import PublishWhen, studio_episode_create
from ondas.core.delivery import AUDIO_KEY
from ondas.studio.uploads.services import upload_receive_file
from tests.studio.conftest import Cast
from tests.support.studio_audio import mp3_with_chapters

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(cast: Cast) -> Episode:
    """A free episode, published, with a 10 s MP3 the owner uploaded."""
    data = mp3_with_chapters([(0, "Intro")], seconds=10)
    received = SimpleUploadedFile("episode.mp3", data, content_type="audio/mpeg")
    upload = upload_receive_file(owner=cast.owner, received=received)
    assert upload.audio is not None
    return studio_episode_create(
        show=cast.show,
        title="Con audio",
        audio_id=upload.audio.pk,
        when=PublishWhen.NOW,
    )


def preview_url(episode: Episode) -> str:
    return f"/studio/shows/{episode.show_id}/episodes/{episode.pk}/audio/"


def stored_bytes(episode: Episode) -> bytes:
    assert episode.audio is not None
    return Path(episode.audio.file.path).read_bytes()


def body(response: HttpResponseBase) -> bytes:
    try:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    finally:
        response.close()


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_preview_range_gets_those_bytes(
    client: Client, cast: Cast, episode: Episode
) -> None:
    stored = stored_bytes(episode)

    response = as_user(client, cast.editor).get(
        preview_url(episode), HTTP_RANGE="bytes=100-1099"
    )

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-1099/{len(stored)}"
    assert response["Content-Length"] == "1000"
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Cache-Control"].startswith("private, no-store")
    assert body(response) == stored[100:1100]


def test_preview_open_range_and_whole_file(
    client: Client, cast: Cast, episode: Episode
) -> None:
    stored = stored_bytes(episode)
    client = as_user(client, cast.owner)

    tail = client.get(preview_url(episode), HTTP_RANGE="bytes=-500")
    whole = client.get(preview_url(episode))

    assert tail.status_code == 206
    assert body(tail) == stored[-500:]
    assert whole.status_code == 200
    assert body(whole) == stored


def test_preview_range_past_the_end_answers_416(
    client: Client, cast: Cast, episode: Episode
) -> None:
    size = len(stored_bytes(episode))

    response = as_user(client, cast.owner).get(
        preview_url(episode), HTTP_RANGE=f"bytes={size}-"
    )

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_preview_head_and_validators(
    client: Client, cast: Cast, episode: Episode
) -> None:
    size = len(stored_bytes(episode))
    client = as_user(client, cast.owner)

    head = client.head(preview_url(episode))
    again = client.get(preview_url(episode), HTTP_IF_NONE_MATCH=head["ETag"])
    stale_if_range = client.get(
        preview_url(episode), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"'
    )

    assert head.status_code == 200
    assert head["Content-Length"] == str(size)
    assert head.content == b""
    assert head["ETag"] and head["Last-Modified"]
    assert again.status_code == 304
    # An If-Range naming other bytes gets the whole file, not the range.
    assert stale_if_range.status_code == 200
    assert len(body(stale_if_range)) == size


@pytest.mark.parametrize("who", ["analyst", "other_creator", "listener"])
def test_preview_is_404_without_an_editing_role(
    client: Client, cast: Cast, episode: Episode, who: str
) -> None:
    response = as_user(client, getattr(cast, who)).get(
        preview_url(episode), HTTP_RANGE="bytes=0-99"
    )

    assert response.status_code == 404
    assert b"ID3" not in response.content


def test_preview_of_another_shows_episode_is_404(
    client: Client, cast: Cast, episode: Episode
) -> None:
    client.force_login(cast.other_creator)
    theirs = f"/studio/shows/{cast.other_show.pk}/episodes/{episode.pk}/audio/"

    assert client.get(theirs).status_code == 404


def test_preview_writes_no_delivery_log_line(
    client: Client, cast: Cast, episode: Episode, tmp_path: Path
) -> None:
    log = ServeLog(tmp_path / "analytics")
    client = as_user(client, cast.owner)

    preview = client.get(preview_url(episode), HTTP_RANGE="bytes=0-99")
    public = client.get(f"/audio/{episode.audio_id}.mp3", HTTP_RANGE="bytes=0-99")
    for response in (preview, public):
        # What `ondas serve`'s post_request hook does once a response is sent.
        delivery_record(
            environ=response.wsgi_request.META, status=206, sent=100, log=log
        )
        body(response)
    log.flush()

    assert preview.status_code == public.status_code == 206
    assert AUDIO_KEY not in preview.wsgi_request.META
    lines = log.path.read_text().splitlines()
    assert len(lines) == 1  # the public request's alone
    assert f'"path":"/audio/{episode.audio_id}.mp3"' in lines[0]


def test_preview_is_sent_by_ondas_even_when_nginx_sends_audio(
    client: Client, cast: Cast, episode: Episode, settings: Settings
) -> None:
    """nginx's X-Accel location writes the delivery log: the preview never
    goes through it."""
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_ondas_audio/"
    stored = stored_bytes(episode)
    client = as_user(client, cast.owner)

    preview = client.get(preview_url(episode), HTTP_RANGE="bytes=10-19")
    public = client.get(f"/audio/{episode.audio_id}.mp3", HTTP_RANGE="bytes=10-19")

    assert "X-Accel-Redirect" not in preview
    assert preview.status_code == 206
    assert body(preview) == stored[10:20]
    assert public["X-Accel-Redirect"].startswith("/_ondas_audio/")
