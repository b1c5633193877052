"""What kind of file an enclosure is, when its feed does not say.

A feed's ``type`` is taken as written; a missing or generic one
(``application/octet-stream``) is read from the file name's extension, and,
failing that, from the first bytes of the file once they are fetched
(mutagen's format probes). Nothing is guessed: an enclosure none of these
tell about stays of unknown type ("").
"""

from __future__ import annotations

from posixpath import splitext
from urllib.parse import unquote, urlsplit

# The generic types a publisher's server sends when it does not know.
GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/binary"}
)
# How many bytes of the file tell its format.
HEAD_BYTES = 4096

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


def enclosure_type(declared: str, url: str) -> str:
    """The enclosure's type: as declared, else from the URL's extension, else ""."""
    declared = declared.strip()
    if declared.lower() not in GENERIC_TYPES:
        return declared[:64]
    path = unquote(urlsplit(url).path)
    return TYPES_BY_EXTENSION.get(splitext(path)[1].lower(), "")


def enclosure_type_sniff(head: bytes) -> str:
    """The type of an audio file from its first bytes, or "" when they do not tell."""
    from mutagen.aac import AAC
    from mutagen.aiff import AIFF
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.oggflac import OggFLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    kinds = {
        MP3: "audio/mpeg",
        MP4: "audio/mp4",
        OggOpus: "audio/opus",
        OggVorbis: "audio/ogg",
        OggFLAC: "audio/ogg",
        FLAC: "audio/flac",
        WAVE: "audio/wav",
        AIFF: "audio/aiff",
        AAC: "audio/aac",
    }
    header = head[:128]
    # No file name: only the bytes speak.
    scores = {kind: kind.score("", None, header) for kind in kinds}
    if header[4:8] != b"ftyp":
        scores[MP4] = 0  # its probe also counts "mp4" anywhere, as in a web page
    best = max(scores, key=lambda kind: scores[kind])
    return kinds[best] if scores[best] > 0 else ""
