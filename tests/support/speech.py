"""Real English speech for the transcription tests: espeak-ng (a Debian
package, scripts/system-deps.sh) says a text into a WAV file, and LAME
(``lameenc``, as the demo encodes) makes it the MP3 the catalog accepts."""

from __future__ import annotations

import functools
import subprocess
import tempfile
import wave
from pathlib import Path

import lameenc


@functools.cache
def spoken_mp3(text: str) -> tuple[bytes, float]:
    """``text`` read aloud by espeak-ng (US English), as an MP3, with its
    length in seconds; made once per text and session."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text],
            check=True,
            capture_output=True,
        )
        with wave.open(str(path), "rb") as clip:
            assert clip.getsampwidth() == 2 and clip.getnchannels() == 1
            rate = clip.getframerate()
            frames = clip.readframes(clip.getnframes())
            seconds = clip.getnframes() / rate
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(48)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return encoder.encode(frames) + encoder.flush(), seconds
