"""Send an audio row's bytes from the storage that holds them (``core.media``)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponseBase

from ondas.catalog.models import AudioFile
from ondas.core.delivery import AUDIO_KEY
from ondas.core.media import LOCAL
from ondas.playback.delivery import audio_filename, file_deliver, serve_file
from ondas.playback.errors import AudioMissingOnDisk
from ondas.playback.s3_delivery import s3_deliver, s3_stream

# The name this log had when the function lived in ``delivery``: operators'
# filters and alerts on a missing audio file keep working.
logger = logging.getLogger("ondas.playback.delivery")


def audio_deliver(
    request: HttpRequest, *, audio: AudioFile, cache_control: str, logged: bool = True
) -> HttpResponseBase:
    """Send an audio file's bytes: ``file_deliver`` for local disk,
    ``s3_deliver`` for the bucket.

    ``logged=False`` is for a creator hearing their own audio in the studio:
    the same Range, HEAD and validators, but it is not a download, so no
    delivery log has a line of it. Ondas then sends the bytes itself (from
    disk, or streamed from the bucket): an X-Accel-Redirect would pass
    through nginx's audio location, whose log is the delivery log.

    A row that outlived its bytes is AudioMissingOnDisk (404): an operator must
    know (it is logged), a listener must not see a traceback.
    """
    try:
        if not logged:
            return _deliver_unlogged(request, audio=audio, cache_control=cache_control)
        if audio.storage != LOCAL:
            return s3_deliver(
                request,
                audio_id=audio.pk,
                key=str(audio.file.name),
                size=audio.size,
                content_type=audio.mime_type,
                filename=audio_filename(audio),
                cache_control=cache_control,
            )
        return file_deliver(
            request,
            file_id=audio.pk,
            path=audio.file.path,
            content_type=audio.mime_type,
            filename=audio_filename(audio),
            cache_control=cache_control,
        )
    except FileNotFoundError:
        logger.error(
            "Audio file %s is missing from %s storage at %s",
            audio.pk,
            audio.storage,
            audio.file.name,
        )
        raise AudioMissingOnDisk(audio_id=audio.pk) from None


def _deliver_unlogged(
    request: HttpRequest, *, audio: AudioFile, cache_control: str
) -> HttpResponseBase:
    if audio.storage == LOCAL:
        return serve_file(
            request,
            path=audio.file.path,
            file_id=audio.pk,
            content_type=audio.mime_type,
            filename=audio_filename(audio),
            cache_control=cache_control,
        )
    streamed = s3_stream(
        request,
        audio_id=audio.pk,
        key=str(audio.file.name),
        content_type=audio.mime_type,
        filename=audio_filename(audio),
        cache_control=cache_control,
    )
    # s3_stream marks what it sends for `ondas serve`'s delivery log: unmark.
    request.META.pop(AUDIO_KEY, None)
    return streamed
