"""X-Accel-Redirect: Ondas checks the request, nginx sends the bytes."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.catalog.models import AudioFile, Episode
from ondas.catalog.services import audio_file_create, episode_create, show_create
from ondas.playback.delivery import accel_redirect

PREFIX = "/_protected_media/"


@pytest.fixture
def accel(settings: Settings) -> Settings:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = PREFIX
    return settings


@pytest.fixture
def audio(db: None) -> AudioFile:
    return audio_file_create(
        name="tone.mp3",
        content=io.BytesIO(b"ID3" + b"\x00" * 5000),
        mime_type="audio/mpeg",
        duration_seconds=1.0,
    )


def test_audio_with_prefix_answers_x_accel_redirect_and_no_bytes(
    accel: Settings, client: Client, audio: AudioFile
) -> None:
    response = client.get(f"/audio/{audio.pk}.mp3", HTTP_RANGE="bytes=0-99")

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"{PREFIX}{audio.file.name}"
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Content-Disposition"] == 'inline; filename="tone.mp3"'
    # nginx answers the Range from the file: Ondas sends no bytes of its own.
    assert response.content == b""
    assert "Content-Range" not in response


def test_audio_without_prefix_sends_bytes_itself(
    settings: Settings, client: Client, audio: AudioFile
) -> None:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = ""
    response = client.get(f"/audio/{audio.pk}", HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert "X-Accel-Redirect" not in response


def test_audio_with_prefix_still_404s_unknown_id_and_missing_file(
    accel: Settings, client: Client, audio: AudioFile
) -> None:
    Path(audio.file.path).unlink()

    missing = client.get(f"/audio/{audio.pk}.mp3")
    unknown = client.get(f"/audio/{audio.pk + 1000}.mp3")

    assert missing.status_code == 404 and "X-Accel-Redirect" not in missing
    assert unknown.status_code == 404 and "X-Accel-Redirect" not in unknown


def test_exclusive_audio_without_entitlement_is_refused_before_nginx(
    accel: Settings, client: Client, audio: AudioFile
) -> None:
    show = show_create(title="Sala", author="Ondas", language="es")
    episode_create(
        show=show,
        guid="exclusive-1",
        title="Only for subscribers",
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
        access=Episode.Access.EXCLUSIVE,
        audio=audio,
    )

    refused = client.get(f"/audio/{audio.pk}.mp3")

    assert refused.status_code == 403
    assert "X-Accel-Redirect" not in refused
    assert "no-store" in refused["Cache-Control"]


def test_accel_redirect_refuses_a_path_outside_the_media_root(tmp_path: Path) -> None:
    media = tmp_path / "library"
    media.mkdir()
    outside = tmp_path / "secret.mp3"
    outside.write_bytes(b"x")
    (media / "link.mp3").symlink_to(outside)

    for path in (str(outside), str(media / "link.mp3")):
        with pytest.raises(ValueError, match="outside the media root"):
            accel_redirect(
                path=path,
                media_root=str(media),
                prefix=PREFIX,
                content_type="audio/mpeg",
                filename="x.mp3",
                cache_control="no-cache",
            )


def test_accel_redirect_quotes_the_location(tmp_path: Path) -> None:
    (tmp_path / "a b").mkdir()
    (tmp_path / "a b" / "c?d.mp3").write_bytes(b"x")

    response = accel_redirect(
        path=str(tmp_path / "a b" / "c?d.mp3"),
        media_root=str(tmp_path),
        prefix=PREFIX,
        content_type="audio/mpeg",
        filename="c.mp3",
        cache_control="no-cache",
    )

    assert response["X-Accel-Redirect"] == f"{PREFIX}a%20b/c%3Fd.mp3"


# nginx's question (auth_request) before it sends audio itself ------------------


def test_rights_yes_names_the_file_and_how_long_nginx_may_keep_the_answer(
    accel: Settings, client: Client, audio: AudioFile
) -> None:
    accel.ONDAS_AUDIO_RIGHTS_TTL = 7
    yes = client.get(f"/audio/{audio.pk}/rights")

    assert yes.status_code == 200
    assert yes["X-Ondas-File"] == audio.file.name
    assert yes["X-Ondas-Cache-Control"] == "public, max-age=86400"
    assert yes["X-Accel-Expires"] == "7"
    assert yes.content == b""


def test_rights_no_is_a_403_nginx_never_keeps(
    accel: Settings, client: Client, audio: AudioFile
) -> None:
    show = show_create(title="Sala", author="Ondas", language="es")
    episode_create(
        show=show,
        guid="exclusive-2",
        title="Only for subscribers",
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
        access=Episode.Access.EXCLUSIVE,
        audio=audio,
    )

    for path in (f"/audio/{audio.pk}/rights", f"/audio/{audio.pk + 99}/rights"):
        no = client.get(path)
        assert no.status_code == 403, path
        assert no["X-Accel-Expires"] == "0"
        assert "X-Ondas-File" not in no


def test_rights_refuse_files_gone_odd_names_and_servers_without_nginx(
    settings: Settings, client: Client, audio: AudioFile, tmp_path: Path
) -> None:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = ""
    assert client.get(f"/audio/{audio.pk}/rights").status_code == 403

    settings.ONDAS_AUDIO_ACCEL_PREFIX = PREFIX
    odd = audio_file_create(
        name="canción de cuna.mp3",
        content=io.BytesIO(b"ID3" + b"\x00" * 100),
        mime_type="audio/mpeg",
        duration_seconds=1.0,
    )
    # nginx's try_files takes a path as it is: these go the X-Accel way.
    assert client.get(f"/audio/{odd.pk}/rights").status_code == 403
    assert client.get(f"/audio/{odd.pk}.mp3")["X-Accel-Redirect"].startswith(PREFIX)

    Path(audio.file.path).unlink()
    assert client.get(f"/audio/{audio.pk}/rights").status_code == 403
