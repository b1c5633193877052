"""What kind of file an audio (or video) file is, and the extension of a kind.

One table for the audio Ondas stores (``services.audio_file_create``), the
publisher's enclosures an import keeps (``ingest.enclosure``) and the feeds
that republish both (``feeds.render``). A declared type is taken as written
unless it is generic (``application/octet-stream``); then the file name's
extension tells, and, failing that, the file's first bytes (mutagen's format
probes). Nothing is guessed: a file none of these tell about has no type ("").
"""

from __future__ import annotations

from posixpath import splitext

# The generic types a server or an upload sends when it does not know.
GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/binary"}
)
# What a feed says of an enclosure whose type nothing told yet.
UNKNOWN_TYPE = "application/octet-stream"
# How many bytes from the start of a file tell its format.
HEAD_BYTES = 4096
MAX_TYPE = 64

TYPES_BY_EXTENSION = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".m4b": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/opus",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".aif": "audio/aiff",
    ".aiff": "audio/aiff",
    ".webm": "audio/webm",
    ".mp4": "video/mp4",
    ".m4v": "video/x-m4v",
    ".mov": "video/quicktime",
}
# The extension podcast apps expect for a type (the first one listed above,
# and the old names some publishers still declare).
EXTENSIONS_BY_TYPE = {
    **{
        kind: ext.lstrip(".")
        for ext, kind in reversed(list(TYPES_BY_EXTENSION.items()))
    },
    "audio/x-m4a": "m4a",
    "audio/mp3": "mp3",
    "audio/x-wav": "wav",
    "audio/x-flac": "flac",
}
# ISO base media brands (``ftyp``) of audio-only files.
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "})


def media_type_declared(declared: str) -> str:
    """``declared`` as a type to keep, or "" when it tells nothing."""
    declared = declared.strip()
    if declared.lower() in GENERIC_TYPES:
        return ""
    return declared[:MAX_TYPE]


def media_type_from_name(name: str) -> str:
    """The type a file name's extension stands for, or ""."""
    return TYPES_BY_EXTENSION.get(splitext(name)[1].lower(), "")


def media_type_sniff(head: bytes) -> str:
    """The type of an audio file from its first bytes, or "" when they do not tell."""
    from mutagen.aiff import AIFF
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.oggflac import OggFLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    header = head[:128]
    if header[4:8] == b"ftyp":  # ISO base media (mutagen's probe also counts
        # "mp4" anywhere in the bytes, as in a web page)
        brand = header[8:12]
        if brand in _AUDIO_BRANDS:
            return "audio/mp4"
        if brand == b"M4V ":
            return "video/x-m4v"
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if len(header) > 1 and header[0] == 0xFF and header[1] & 0xF6 == 0xF0:
        return "audio/aac"  # an ADTS frame (MPEG audio frames have layer bits)
    kinds = {
        MP3: "audio/mpeg",
        OggOpus: "audio/opus",
        OggVorbis: "audio/ogg",
        OggFLAC: "audio/ogg",
        FLAC: "audio/flac",
        WAVE: "audio/wav",
        AIFF: "audio/aiff",
    }
    # No file name: only the bytes speak.
    scores = {kind: kind.score("", None, header) for kind in kinds}
    best = max(scores, key=lambda kind: scores[kind])
    return kinds[best] if scores[best] > 0 else ""


def media_type_resolve(declared: str, *, name: str = "", head: bytes = b"") -> str:
    """The type as declared, else from ``name``'s extension, else from the first
    bytes ``head``; "" when none of them tell."""
    return (
        media_type_declared(declared)
        or media_type_from_name(name)
        or (media_type_sniff(head) if head else "")
    )


def media_extension(mime_type: str) -> str:
    """The file extension podcast apps expect for ``mime_type``, or ""."""
    return EXTENSIONS_BY_TYPE.get(mime_type.lower(), "")
