"""Real audio files of each accepted format, for the upload checks.

MP3 comes from LAME (``lameenc``, as the demo encodes); M4A, AAC, Ogg Opus, Ogg
Vorbis and FLAC from Debian's ffmpeg (``scripts/system-deps.sh test`` installs
it). Each file is made once per test session.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags

from ondas.ops.demo_audio import encode_tone_mp3

_CACHE: dict[tuple[str, int], bytes] = {}
# ffmpeg's arguments for each format: (codec and container options, suffix).
FFMPEG_FORMATS = {
    "m4a": (["-c:a", "aac", "-b:a", "64k"], ".m4a"),
    "aac": (["-c:a", "aac", "-b:a", "64k", "-f", "adts"], ".aac"),
    "opus": (["-c:a", "libopus", "-b:a", "32k"], ".opus"),
    "vorbis": (["-c:a", "libvorbis", "-q:a", "2"], ".ogg"),
    "flac": (["-c:a", "flac"], ".flac"),
    "wav": (["-c:a", "pcm_s16le"], ".wav"),
    # the index (moov) before the audio (mdat), as streaming tools write it
    "m4a-faststart": (
        ["-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart"],
        ".m4a",
    ),
    # LAME through ffmpeg: unlike lameenc's, it starts with an Info header
    "mp3-info": (["-c:a", "libmp3lame", "-b:a", "64k"], ".mp3"),
}
# The type the upload check must find in each.
MIME_TYPES = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "opus": "audio/opus",
    "vorbis": "audio/ogg",
    "flac": "audio/flac",
}


def ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    assert found, "ffmpeg is missing: run scripts/system-deps.sh test"
    return found


def audio_bytes(kind: str, *, seconds: int = 3) -> bytes:
    """``seconds`` of a tone as a real file of ``kind`` (a key of MIME_TYPES or wav)."""
    key = (kind, seconds)
    if key in _CACHE:
        return _CACHE[key]
    if kind == "mp3":
        out = io.BytesIO()
        encode_tone_mp3(out, duration_seconds=seconds)
        data = out.getvalue()
    else:
        options, suffix = FFMPEG_FORMATS[kind]
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / f"tone{suffix}"
            subprocess.run(  # noqa: S603 - fixed arguments
                [
                    ffmpeg(),
                    "-v",
                    "error",
                    "-nostdin",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    f"sine=frequency=440:duration={seconds}",
                    "-ac",
                    "1",
                    *options,
                    str(target),
                ],
                check=True,
                timeout=60,
            )
            data = target.read_bytes()
    _CACHE[key] = data
    return data


def mp3_with_chapters(chapters: list[tuple[float, str]], *, seconds: int = 10) -> bytes:
    """A LAME MP3 with an ID3v2 table of contents and a CHAP frame per chapter."""
    tags = ID3()
    ids = [f"ch{n}" for n in range(len(chapters))]
    tags.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[],
        )
    )
    ends = [start for start, _title in chapters[1:]] + [float(seconds)]
    for element_id, (start, title), end in zip(ids, chapters, ends, strict=True):
        tags.add(
            CHAP(
                element_id=element_id,
                start_time=int(start * 1000),
                end_time=int(end * 1000),
                sub_frames=[TIT2(text=[title])],
            )
        )
    out = io.BytesIO(audio_bytes("mp3", seconds=seconds))
    tags.save(out)
    return out.getvalue()
