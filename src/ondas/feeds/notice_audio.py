"""The sound of a feed's notice item: a short chime, the same in every language.

Podcast apps download an item's enclosure, and an item without one is a
download that never finishes (gPodder leaves a 0-byte ``.partial``). So the
notice that a private feed's subscription has ended carries this file: two
falling notes and a moment of quiet, four seconds, a 16 kB MP3 at a stable
static address (``/static/feeds/notice-ended.mp3``), which nginx or WhiteNoise
serves like any static file. The title and description say the words; the
sound has none, so it needs no translation.

The file is committed; ``scripts/make_notice_audio.py`` writes it again from
``notice_audio_encode`` and a test keeps the two equal.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import lameenc

STATIC_PATH = "feeds/notice-ended.mp3"
FILE = Path(__file__).resolve().parent / "static" / STATIC_PATH
MIME_TYPE = "audio/mpeg"
SAMPLE_RATE = 16_000
BITRATE_KBPS = 32
SECONDS = 4
# Two falling notes (E5, then A4), each ringing out, then quiet.
_NOTES = ((0.0, 659.26), (0.7, 440.0))


@dataclass(frozen=True)
class NoticeAudio:
    """What a feed says of the notice's enclosure."""

    static_path: str
    length: int
    mime_type: str
    seconds: int


def notice_audio() -> NoticeAudio:
    """The committed notice file's enclosure facts (its length read from disk)."""
    return NoticeAudio(STATIC_PATH, FILE.stat().st_size, MIME_TYPE, SECONDS)


def _samples() -> bytes:
    samples = array("h")
    for n in range(SAMPLE_RATE * SECONDS):
        t = n / SAMPLE_RATE
        value = 0.0
        for start, freq in _NOTES:
            if t >= start:
                age = t - start
                value += (
                    0.35 * math.exp(-3.5 * age) * math.sin(2 * math.pi * freq * age)
                )
        samples.append(int(max(-1.0, min(1.0, value)) * 32767))
    return samples.tobytes()


def notice_audio_encode(out: BinaryIO) -> int:
    """Write the notice's MP3 (mono, 16 kHz, 32 kbit/s CBR) to ``out``."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(2)
    data = encoder.encode(_samples()) + encoder.flush()
    out.write(data)
    return len(data)
