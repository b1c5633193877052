"""Reading uploads, always through their owner."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.utils.timezone import now as timezone_now

from ondas.accounts.models import User
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import AudioFile, Episode
from ondas.studio.uploads.audio import audio_chapters
from ondas.studio.uploads.errors import UploadAudioRefused, UploadNotFound
from ondas.studio.uploads.models import Upload


def upload_get_for_user(*, user: User, upload_id: uuid.UUID) -> Upload:
    """The upload, if it is ``user``'s; anyone else's answers like a missing one.

    Raises UploadNotFound.
    """
    upload = (
        Upload.objects.select_related("audio").filter(pk=upload_id, owner=user).first()
    )
    if upload is None:
        raise UploadNotFound()
    return upload


def upload_audio_get_for_user(
    *, user: User, audio_id: int, episode: Episode | None = None
) -> AudioFile:
    """The stored audio ``audio_id`` if it came from an upload of ``user``, or
    is already ``episode``'s; else raise UploadAudioRefused.

    The episode services take any audio id: this is the check that one
    creator cannot put another's file (or a book's part) on their episode.
    """
    if episode is not None and episode.audio_id == audio_id:
        audio = AudioFile.objects.filter(pk=audio_id).first()
    else:
        upload = (
            Upload.objects.select_related("audio")
            .filter(owner=user, audio_id=audio_id, completed_at__isnull=False)
            .first()
        )
        audio = upload.audio if upload is not None else None
    if audio is None:
        raise UploadAudioRefused()
    return audio


def upload_detail(*, upload: Upload) -> dict[str, object]:
    """The upload as the widget reads it: progress, and once stored, the audio's
    facts and the ID3 chapters that prefill the chapter editor."""
    audio = upload.audio
    detail: dict[str, object] = {
        "id": str(upload.pk),
        "filename": upload.filename,
        "length": upload.length,
        "offset": upload_offset(upload=upload),
        "complete": upload.is_complete,
        "expires_at": upload.expires_at.isoformat(),
        "audio": None,
        "chapters": [],
    }
    if audio is not None:
        detail["audio"] = {
            "id": audio.pk,
            "mime_type": audio.mime_type,
            "size": audio.size,
            "duration_seconds": audio.duration_seconds,
            "bitrate": audio.bitrate,
            "sha256": audio.sha256,
        }
        detail["chapters"] = [
            {"start_seconds": chapter.start_seconds, "title": chapter.title}
            for chapter in audio_file_chapters(audio=audio)
        ]
    return detail


def audio_file_chapters(*, audio: AudioFile) -> list[ChapterInput]:
    """The ID3 ``CHAP`` chapters of stored audio (none for other formats)."""
    with audio.file.open("rb") as fileobj:
        return audio_chapters(fileobj=fileobj, duration_seconds=audio.duration_seconds)


def upload_offset(*, upload: Upload) -> int:
    """How many bytes of the upload have arrived."""
    if upload.is_complete:
        return upload.length
    try:
        return upload.temp_path.stat().st_size
    except FileNotFoundError:
        return 0


def upload_is_expired(*, upload: Upload, now: datetime | None = None) -> bool:
    if upload.is_complete:
        return False
    return upload.expires_at <= (now or timezone_now()) or not upload.temp_path.exists()
