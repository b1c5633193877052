"""Small real audio files of several formats, built here byte by byte (there is no
ffmpeg on the test machines): each has the headers its format starts with, and
mutagen opens it (``mutagen.File``), as it would a publisher's file."""

from __future__ import annotations

import io
import struct
import wave

from mutagen.ogg import OggPage

from tests.support.feeds import tiny_mp3


def _ogg(first: bytes, second: bytes, *, granule: int) -> bytes:
    """Two Ogg pages: the codec's identification header, then its comments."""
    pages = []
    for sequence, packet in enumerate([first, second]):
        page = OggPage()
        page.serial = 0x0DA5
        page.sequence = sequence
        page.first = sequence == 0
        page.last = sequence == 1
        page.position = 0 if sequence == 0 else granule
        page.packets = [packet]
        pages.append(page.write())
    return b"".join(pages)


def ogg_opus() -> bytes:
    """An Ogg Opus stream's headers (mono, 48 kHz, one second long)."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48_000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 5) + b"Ondas" + struct.pack("<I", 0)
    return _ogg(head, tags, granule=312 + 48_000)


def ogg_vorbis() -> bytes:
    """An Ogg Vorbis stream's headers (mono, 44.1 kHz, one second long)."""
    ident = (
        b"\x01vorbis"
        + struct.pack("<IBIiii", 0, 1, 44_100, 0, 64_000, 0)
        + bytes([0xB8, 0x01])  # block sizes 256 and 2048, then the framing bit
    )
    comments = (
        b"\x03vorbis" + struct.pack("<I", 5) + b"Ondas" + struct.pack("<I", 0) + b"\x01"
    )
    return _ogg(ident, comments, granule=44_100)


def _atom(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def m4a() -> bytes:
    """An MPEG-4 audio file's ``ftyp`` and ``moov`` (a two-second ``mvhd``)."""
    ftyp = _atom(b"ftyp", b"M4A " + struct.pack(">I", 0) + b"M4A mp42isom")
    mvhd = _atom(
        b"mvhd",
        struct.pack(">B3xIIII", 0, 0, 0, 1000, 2000)
        + struct.pack(">IH10x", 0x00010000, 0x0100)
        + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
        + bytes(24)
        + struct.pack(">I", 2),
    )
    return ftyp + _atom(b"moov", mvhd)


def flac() -> bytes:
    """A FLAC stream's marker and its STREAMINFO block (mono, 44.1 kHz, 16 bit)."""
    info = struct.pack(">HH", 4096, 4096) + bytes(6)
    # 20 bits of sample rate, 3 of channels - 1, 5 of bits - 1, 36 of samples.
    packed = (44_100 << 44) | (0 << 41) | (15 << 36) | 44_100
    info += packed.to_bytes(8, "big") + bytes(16)
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def wav() -> bytes:
    """A quarter of a second of silence as WAVE (mono, 8 kHz, 16 bit)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(bytes(4000))
    return out.getvalue()


def mp3() -> bytes:
    """A real MP3 (LAME, no ID3 tag: the bytes start with a frame)."""
    return tiny_mp3()


# Each format's bytes and the type they tell.
FORMATS = {
    "opus": (ogg_opus, "audio/opus"),
    "vorbis": (ogg_vorbis, "audio/ogg"),
    "m4a": (m4a, "audio/mp4"),
    "flac": (flac, "audio/flac"),
    "wav": (wav, "audio/wav"),
    "mp3": (mp3, "audio/mpeg"),
}
