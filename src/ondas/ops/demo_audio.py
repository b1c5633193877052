"""Real, playable demo audio made on the spot: tones encoded to MP3 by LAME.

Each chapter gets its own pitch and opens with a short two-note chime, so a
listener hears where chapters begin. Mono 16 kHz at 32 kbit/s keeps the
2.5 hours of the demo show near 36 MB and takes a few seconds to encode.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import BinaryIO

import lameenc

SAMPLE_RATE = 16_000
BITRATE_KBPS = 32
# A pentatonic ladder: neighbouring chapters sound different but never clash.
_PITCHES = (220.0, 247.5, 277.2, 330.0, 370.0, 440.0, 495.0, 554.4, 660.0, 740.0)


def _second(freq: float, *, chime: bool, amplitude: float = 0.18) -> bytes:
    """One second of 16-bit PCM: a soft tone that swells, or a chime."""
    samples = array("h")
    for n in range(SAMPLE_RATE):
        t = n / SAMPLE_RATE
        if chime:
            f = freq * 2 if t < 0.5 else freq * 3
            envelope = math.exp(-6 * (t % 0.5))
            value = 0.5 * envelope * math.sin(2 * math.pi * f * t)
        else:
            envelope = 0.6 + 0.4 * math.sin(math.pi * t)
            value = amplitude * envelope * math.sin(2 * math.pi * freq * t)
        samples.append(int(value * 32767))
    return samples.tobytes()


def encode_tone_mp3(
    out: BinaryIO, *, duration_seconds: int, chapter_starts: Sequence[int] = (0,)
) -> int:
    """Write an MP3 of ``duration_seconds`` to ``out``; return the bytes written."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)
    starts = sorted(set(chapter_starts) | {0})
    cache: dict[tuple[int, bool], bytes] = {}
    written = 0
    for second in range(duration_seconds):
        chapter = sum(1 for s in starts if s <= second) - 1
        key = (chapter % len(_PITCHES), second in starts)
        if key not in cache:
            cache[key] = _second(_PITCHES[key[0]], chime=key[1])
        chunk = encoder.encode(cache[key])
        out.write(chunk)
        written += len(chunk)
    tail = encoder.flush()
    out.write(tail)
    return written + len(tail)
