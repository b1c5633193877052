"""Whether an uploaded file is audio Ondas takes, judged by its bytes, never its name.

Accepted: MP3, M4A (AAC or ALAC in MPEG-4) and raw AAC (ADTS), Ogg Opus, Ogg
Vorbis, FLAC. Each is opened with mutagen; besides what mutagen refuses, a file
is refused when it is empty, over the size limit, cut short (an MP3 whose last
frame, or an MPEG-4 whose last box, runs past the end of the file) or when its
duration cannot be read.

A file cut exactly between two MP3 frames cannot be told from a shorter one,
unless its Xing/Info header counted the bytes; the check reads that count too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mutagen import MutagenError

from ondas.catalog.chapters import ChapterInput, chapters_from_id3, chapters_normalise
from ondas.catalog.media_types import HEAD_BYTES, media_type_sniff
from ondas.studio.uploads.errors import (
    AudioDamaged,
    AudioDurationUnknown,
    AudioEmpty,
    AudioFormatRefused,
    AudioNotAudio,
    AudioTooLarge,
    AudioTruncated,
)

# What a sniffed type is called in messages, and whether it is accepted.
KINDS = {
    "audio/mpeg": ("MP3", True),
    "audio/mp4": ("M4A", True),
    "audio/aac": ("AAC", True),
    "audio/opus": ("Ogg Opus", True),
    "audio/ogg": ("Ogg Vorbis", True),
    "audio/flac": ("FLAC", True),
    "audio/wav": ("WAV", False),
    "audio/aiff": ("AIFF", False),
    "video/mp4": ("MP4 video", False),
    "video/x-m4v": ("M4V video", False),
    "video/quicktime": ("QuickTime video", False),
}
# Leading bytes of common files that are not audio, to name them in the refusal.
_NOT_AUDIO = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"<!DOCTYPE", "HTML"),
    (b"<html", "HTML"),
    (b"<?xml", "XML"),
)


@dataclass(frozen=True)
class AudioInfo:
    kind: str
    mime_type: str
    duration_seconds: float
    bitrate: int


def audio_inspect(*, path: Path, max_bytes: int) -> AudioInfo:
    """Open the file at ``path`` and say what audio it is.

    Raises the AudioRefused subclass that names the problem.
    """
    size = path.stat().st_size
    if size == 0:
        raise AudioEmpty()
    if size > max_bytes:
        raise AudioTooLarge(size=size, limit=max_bytes)
    with path.open("rb") as fileobj:
        head = fileobj.read(HEAD_BYTES)
        mime_type = media_type_sniff(head)
        if not mime_type:
            raise AudioNotAudio(found=_not_audio_name(head))
        kind, accepted = KINDS.get(mime_type, (mime_type, False))
        if not accepted:
            raise AudioFormatRefused(kind=kind)
        fileobj.seek(0)
        info = _open(fileobj, mime_type=mime_type, kind=kind)
        length = float(getattr(info, "length", 0) or 0)
        if not length > 0:
            raise AudioDurationUnknown(kind=kind)
        missing = _missing_bytes(fileobj, mime_type=mime_type, size=size, info=info)
        if missing:
            raise AudioTruncated(kind=kind, missing=missing)
    bitrate = int(getattr(info, "bitrate", 0) or 0) or int(size * 8 / length)
    return AudioInfo(
        kind=kind, mime_type=mime_type, duration_seconds=length, bitrate=bitrate
    )


def audio_chapters(
    *, fileobj: BinaryIO, duration_seconds: float = 0
) -> list[ChapterInput]:
    """The ID3 ``CHAP`` chapters of an MP3, to prefill the chapter editor: (start,
    title) pairs sorted by start; none for other formats or untagged files."""
    fileobj.seek(0)
    head = fileobj.read(HEAD_BYTES)
    fileobj.seek(0)
    if not head.startswith(b"ID3"):
        return []
    chapters = chapters_from_id3(fileobj)
    return chapters_normalise(chapters, duration_seconds=duration_seconds)


def _not_audio_name(head: bytes) -> str:
    stripped = head.lstrip()
    for magic, name in _NOT_AUDIO:
        if stripped[: len(magic)].lower() == magic.lower():
            return name
    return ""


def _open(fileobj: BinaryIO, *, mime_type: str, kind: str) -> object:
    """mutagen's stream info for the format the bytes told.

    Raises AudioDamaged with mutagen's reason when it cannot read the file.
    """
    from mutagen.aac import AAC
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis

    opener = {
        "audio/mpeg": MP3,
        "audio/mp4": MP4,
        "audio/aac": AAC,
        "audio/opus": OggOpus,
        "audio/ogg": OggVorbis,
        "audio/flac": FLAC,
    }[mime_type]
    try:
        return opener(fileobj).info  # type: ignore[no-untyped-call]
    except (MutagenError, struct.error, ValueError, EOFError, IndexError) as exc:
        raise AudioDamaged(kind=kind, detail=str(exc) or type(exc).__name__) from None


def _missing_bytes(
    fileobj: BinaryIO, *, mime_type: str, size: int, info: object
) -> int:
    """How many bytes the file's own structure says are missing at its end."""
    if mime_type == "audio/mpeg":
        return _mp3_missing(fileobj, size=size, info=info)
    if mime_type == "audio/mp4":
        return _mp4_missing(fileobj, size=size)
    return 0


# MPEG audio frame lengths: bitrates (kbit/s) by version and layer, sample rates.
_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_BITRATES[(2, 3)] = _BITRATES[(2, 2)]
_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}


def _frame_length(header: int) -> int:
    """The length of the MPEG audio frame with this 4-byte header, 0 if none."""
    if header >> 21 != 0x7FF:
        return 0
    version_bits = (header >> 19) & 3
    layer_bits = (header >> 17) & 3
    bitrate_index = (header >> 12) & 15
    rate_index = (header >> 10) & 3
    if version_bits == 1 or layer_bits == 0 or bitrate_index in (0, 15):
        return 0
    if rate_index == 3:
        return 0
    version = {3: 1, 2: 2, 0: 25}[version_bits]
    layer = 4 - layer_bits
    bitrate = _BITRATES[(1 if version == 1 else 2, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    padding = (header >> 9) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    factor = 144 if (layer == 2 or version == 1) else 72
    return factor * bitrate // rate + padding


# Past this size, only the end of an MP3 is walked (see _mp3_missing).
_TAIL = 64 * 1024
# Frames in a row that make a position a real frame, not bytes that look like one.
_CHAIN = 4
# The header bits every frame of one stream shares: sync, version, layer, rate.
_SAME_STREAM = 0xFFFE0C00


def _mp3_missing(fileobj: BinaryIO, *, size: int, info: object) -> int:
    """How many bytes the MP3's last frame lacks: 0 for a whole file.

    The Xing/Info header's byte count, when there is one, says it at once.
    Otherwise the frames are walked: all of them in a small file; in a large
    one, from the first position in its last 64 KiB where four frames of the
    stream follow each other (a walk of every frame of a 200 MB file took
    seconds in Python). Data after the last frame that is no frame (an ID3v1
    or APE tag) ends the walk.
    """
    start = int(getattr(info, "frame_offset", 0) or 0) or _audio_start(fileobj)
    fileobj.seek(start)
    counted = _xing_bytes(fileobj.read(64))
    if counted and start + counted > size:
        return start + counted - size
    if size - start <= 2 * _TAIL:
        fileobj.seek(start)
        return _walk(fileobj.read(), at=start, size=size)
    fileobj.seek(size - _TAIL)
    tail = fileobj.read(_TAIL)
    position = tail.find(b"\xff")
    while position != -1:
        if _chain(tail, position):
            return _walk(tail[position:], at=size - _TAIL + position, size=size)
        position = tail.find(b"\xff", position + 1)
    return 0


def _header(data: bytes, position: int) -> int:
    return int.from_bytes(data[position : position + 4], "big")


def _chain(data: bytes, position: int) -> bool:
    """Whether ``_CHAIN`` frames of one stream follow each other from ``position``."""
    first = _header(data, position)
    for _n in range(_CHAIN):
        if position + 4 > len(data):
            return False
        header = _header(data, position)
        length = _frame_length(header)
        if not length or header & _SAME_STREAM != first & _SAME_STREAM:
            return False
        position += length
    return True


def _walk(data: bytes, *, at: int, size: int) -> int:
    """Follow frames through ``data`` (which starts at byte ``at`` of a file of
    ``size``); return how far the last one runs past the end."""
    position = 0
    while at + position < size and position + 4 <= len(data):
        length = _frame_length(_header(data, position))
        if not length:
            return 0
        if at + position + length > size:
            return at + position + length - size
        position += length
    return 0


def _xing_bytes(frame: bytes) -> int:
    """The stream's length in bytes that a Xing/Info header in the first frame
    counted (LAME and most encoders write one), or 0."""
    for at in (36, 21, 13):  # after the side information of each kind of frame
        if frame[at : at + 4] in (b"Xing", b"Info") and len(frame) >= at + 16:
            flags = int.from_bytes(frame[at + 4 : at + 8], "big")
            if not flags & 2:
                return 0
            at += 8 + (4 if flags & 1 else 0)
            return int.from_bytes(frame[at : at + 4], "big")
    return 0


def _audio_start(fileobj: BinaryIO) -> int:
    """The byte after a leading ID3v2 tag (0 when there is none)."""
    fileobj.seek(0)
    head = fileobj.read(10)
    if len(head) == 10 and head.startswith(b"ID3"):
        raw = head[6:10]
        tag = (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]
        return 10 + tag + (10 if head[5] & 0x10 else 0)
    return 0


def _mp4_missing(fileobj: BinaryIO, *, size: int) -> int:
    """Walk the top-level boxes: one that claims more bytes than are left is a
    file cut short."""
    position = 0
    while position + 8 <= size:
        fileobj.seek(position)
        header = fileobj.read(16)
        box = int.from_bytes(header[:4], "big")
        if box == 1 and len(header) == 16:
            box = int.from_bytes(header[8:16], "big")
        elif box == 0:
            return 0  # the last box runs to the end of the file by definition
        if box < 8:
            return 0
        if position + box > size:
            return position + box - size
        position += box
    return 0
