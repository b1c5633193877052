"""Which of an episode's transcripts to offer a reader.

A feed may list several (``podcast:transcript``): one per language and format.
Feeds republish them all; a page offers one: in the reader's language if there
is one, else in the show's (a transcript that names no language is in the
show's), else the first; among those, the format a person reads best.
"""

from __future__ import annotations

from collections.abc import Iterable

from ondas.catalog.models import Transcript

# Best first: a page to read, then timed captions, then data, then plain text.
FORMATS = (
    "text/html",
    "text/vtt",
    "application/x-subrip",
    "application/srt",
    "text/srt",
    "application/json",
    "text/plain",
)


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def transcript_preferred(
    transcripts: Iterable[Transcript], *, language: str, show_language: str
) -> Transcript | None:
    """The transcript to offer someone reading in ``language`` (a BCP 47 tag),
    or None when the episode has none."""
    candidates = list(transcripts)
    if not candidates:
        return None

    def rank(transcript: Transcript) -> tuple[int, int, int]:
        tag = transcript.language or show_language
        if tag.lower() == language.lower():
            fit = 0
        elif _primary(tag) == _primary(language):
            fit = 1
        elif _primary(tag) == _primary(show_language):
            fit = 2
        else:
            fit = 3
        kind = transcript.mime_type.split(";", 1)[0].strip().lower()
        form = FORMATS.index(kind) if kind in FORMATS else len(FORMATS)
        return fit, form, transcript.position

    return min(candidates, key=rank)
