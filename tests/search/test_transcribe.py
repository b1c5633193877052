"""`ondas transcribe`: English speech made here with espeak-ng becomes the
episode's WebVTT transcript, with a cue per segment, found by search; without
the extra the command says what to install; other languages are refused;
what an episode has is kept unless --replace."""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, datetime

import pytest
from django.utils.timezone import now as timezone_now

from ondas.catalog.models import Episode, Show, Transcript
from ondas.catalog.services import audio_file_create, episode_create, show_create
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.catalog.transcript_files import VTT_TYPE, transcript_file_read
from ondas.core.errors import ErrorCode
from ondas.ops.cli import main
from ondas.search import transcribe
from ondas.search.errors import TranscribeFailed
from ondas.search.selectors import search_results
from ondas.search.tasks import episode_transcribe_task
from tests.support.speech import spoken_mp3

PAST = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SPOKEN = (
    "Welcome back to the show. Today we talk about the old lighthouse and the "
    "green garden near the river. After the break, a baker tells us how to make "
    "fresh bread every morning."
)
KEY_WORDS = {
    "welcome",
    "show",
    "today",
    "lighthouse",
    "garden",
    "river",
    "break",
    "baker",
    "bread",
    "morning",
}
OWN_VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nWritten by the creator.\n"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are checked in English."""


def _episode(*, language: str = "en", guid: str = "lighthouse") -> Episode:
    data, seconds = spoken_mp3(SPOKEN)
    show = Show.objects.filter(language=language).first() or show_create(
        title=f"Coastal Stories {language}", author="Ana", language=language
    )
    audio = audio_file_create(
        name=f"{guid}.mp3",
        content=io.BytesIO(data),
        mime_type="audio/mpeg",
        duration_seconds=seconds,
    )
    return episode_create(
        show=show, guid=guid, title=f"The keeper {guid}", published_at=PAST, audio=audio
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _cues(transcript: Transcript) -> list[tuple[float, float, str]]:
    with transcript.file.open("rb") as stored:
        parsed = transcript_file_read(stored.read(), max_bytes=100_000)
    assert parsed.mime_type == VTT_TYPE
    return [(cue.start, cue.end, cue.text) for cue in parsed.cues]


@pytest.mark.django_db(transaction=True)
def test_transcribe_saves_timed_cues_that_search_finds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    episode = _episode()
    duration = episode.audio.duration_seconds if episode.audio else 0

    assert main(["transcribe", str(episode.pk)]) == 0

    out = capsys.readouterr().out
    # A bar by audio seconds: it ends full, at the clip's length.
    assert re.search(rf"\[#{{30}}\] {round(duration)}/{round(duration)} s", out)
    assert "1 transcribed, 0 skipped" in out
    transcript = Transcript.objects.get(episode=episode)
    assert transcript.mime_type == VTT_TYPE
    assert transcript.language == ""  # the show's: English
    assert transcript.rel == "captions"
    cues = _cues(transcript)
    assert len(cues) >= 2  # a cue per segment, each with its own times
    for start, end, _text in cues:
        assert 0 <= start < end <= duration + 0.5
    assert [c[0] for c in cues] == sorted({c[0] for c in cues})
    heard = _words(" ".join(text for *_, text in cues))
    assert len(KEY_WORDS & heard) >= 6, heard

    results = search_results(query="lighthouse", user=None, now=timezone_now())
    cue_hits = [hit for hit in results.hits if hit.kind == "transcript"]
    assert cue_hits, results.hits
    spoken_at = next(start for start, _end, text in cues if "lighthouse" in text)
    assert cue_hits[0].start_seconds == int(spoken_at)
    assert f"?t={int(spoken_at)}" in cue_hits[0].url


# `ondas.ops.cli.main` closes the connection: on PostgreSQL the test's
# transaction would go with it.
@pytest.mark.django_db(transaction=True)
def test_without_the_extra_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    episode = _episode()
    # A None in sys.modules makes the import fail, as when not installed.
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    assert transcribe.installed() is False

    with pytest.raises(SystemExit) as exc_info:
        main(["transcribe", str(episode.pk)])

    assert exc_info.value.code == 2
    assert "pip install 'ondas[transcribe]'" in capsys.readouterr().err
    assert not Transcript.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_spanish_show_is_refused_unless_forced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    episode = _episode(language="es-MX", guid="faro")

    with pytest.raises(SystemExit) as exc_info:
        main(["transcribe", str(episode.pk)])

    assert exc_info.value.code == 1
    err = capsys.readouterr().err
    assert f"Episode {episode.pk} is in a show whose language is “es-MX”" in err
    assert "--force-language" in err
    assert not Transcript.objects.exists()

    assert main(["transcribe", str(episode.pk), "--force-language"]) == 0
    transcript = Transcript.objects.get(episode_id=episode.pk)
    assert transcript.language == "en"  # not the show's language


@pytest.mark.django_db(transaction=True)
def test_a_transcript_is_kept_unless_replace(
    capsys: pytest.CaptureFixture[str],
) -> None:
    episode = _episode()
    own = episode_transcript_upload(episode=episode, name="own.vtt", data=OWN_VTT)

    assert main(["transcribe", str(episode.pk)]) == 0

    captured = capsys.readouterr()
    assert "already has a transcript; --replace" in captured.err
    assert "0 transcribed, 1 skipped" in captured.out
    assert list(Transcript.objects.values_list("pk", flat=True)) == [own.pk]
    assert _cues(Transcript.objects.get())[0][2] == "Written by the creator."

    assert main(["transcribe", str(episode.pk), "--replace"]) == 0

    made = Transcript.objects.get(episode_id=episode.pk)  # the only one
    assert made.pk != own.pk
    assert "lighthouse" in _words(" ".join(t for *_, t in _cues(made)))
    assert not own.file.storage.exists(own.file.name)
    # The creator can still replace it with an upload of their own.
    again = episode_transcript_upload(episode=made.episode, name="b.vtt", data=OWN_VTT)
    assert list(Transcript.objects.values_list("pk", flat=True)) == [again.pk]


# `ondas.ops.cli.main` closes the connection: on PostgreSQL the test's
# transaction would go with it.
@pytest.mark.django_db(transaction=True)
def test_all_queued_for_the_worker_transcribes_english_episodes_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    english = _episode(guid="one")
    spanish = _episode(language="es", guid="dos")
    done = _episode(guid="three")
    episode_transcript_upload(episode=done, name="own.vtt", data=OWN_VTT)
    silent = episode_create(
        show=english.show, guid="no-audio", title="Soon", published_at=PAST
    )

    # The tests' task backend runs what is queued at once.
    assert transcribe.episodes_to_transcribe() == [english.pk]
    assert main(["transcribe", "--all", "--queue"]) == 0

    assert "1 episodes queued" in capsys.readouterr().out
    assert Transcript.objects.filter(episode=english).count() == 1
    assert not Transcript.objects.filter(episode__in=[spanish, silent]).exists()
    assert Transcript.objects.filter(episode=done).count() == 1


def test_the_task_refuses_and_reports_without_raising(db: None) -> None:
    spanish = _episode(language="es", guid="dos")

    result = episode_transcribe_task.enqueue(episode_id=spanish.pk)

    assert result.return_value is None
    assert not Transcript.objects.exists()


def test_unreadable_audio_fails_clearly_and_keeps_the_transcript(db: None) -> None:
    show = show_create(title="Broken", author="Ana", language="en")
    audio = audio_file_create(
        name="broken.mp3",
        content=io.BytesIO(b"ID3" + b"\x00" * 4000),
        mime_type="audio/mpeg",
        duration_seconds=3,
    )
    episode = episode_create(
        show=show, guid="b", title="Broken", published_at=PAST, audio=audio
    )
    own = episode_transcript_upload(episode=episode, name="own.vtt", data=OWN_VTT)

    with pytest.raises(TranscribeFailed) as exc_info:
        transcribe.episode_transcribe(episode=episode, replace=True)

    assert exc_info.value.code == ErrorCode.TRANSCRIBE_FAILED
    assert Transcript.objects.get().pk == own.pk
    assert own.file.storage.exists(own.file.name)


@pytest.mark.slow  # a moto server process per module
def test_audio_on_s3_is_read_through_the_storage_api(db: None, s3: object) -> None:
    episode = _episode(guid="s3")
    assert episode.audio is not None and episode.audio.storage == "s3"

    transcript = transcribe.episode_transcribe(episode=episode)

    heard = _words(" ".join(t for *_, t in _cues(transcript)))
    assert len(KEY_WORDS & heard) >= 6, heard
