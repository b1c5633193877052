"""Text as the index sees it: folded, split into words, cut to rough stems,
and the matched words marked in what a result shows.

Both engines fold accents ("análisis" and "analisis" are one word) and match
each query word as a prefix, so an unfinished word finds the word it begins.

What is missing on SQLite: real stemming. FTS5 ships a Porter stemmer for
English only and none for Spanish, so the SQLite engine cuts a few common
plural and verb endings off each query word (``stem``) and matches the rest
as a prefix: "lecciones" finds "lección", "servers" finds "server", "faults"
finds "fault". Irregular forms ("mice", "dijo") are not found by their other
forms. PostgreSQL stems each document by its language (Snowball, Spanish or
English) and each query in both languages.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from django.utils.html import strip_tags

_WORD = re.compile(r"\w+", re.UNICODE)
# Tags that end a word: "stack</li><li>Each" is two words, not "stackEach".
_BLOCK_TAG = re.compile(r"<(?=/?(?:p|li|ul|ol|br|div|h[1-6]|blockquote|tr|td)\b)", re.I)
# Endings cut from a query word on SQLite, longest first, each with the
# shortest word it may be cut from and what takes its place.
_ENDINGS = (
    ("ciones", 7, "cion"),
    ("siones", 7, "sion"),
    ("ing", 6, ""),
    ("es", 6, ""),
    ("ed", 5, ""),
    ("s", 4, ""),
)
# Query words kept, at most.
MAX_WORDS = 8


def fold(text: str) -> str:
    """Lower case without accents: "Análisis" → "analisis"."""
    if text.isascii():
        # Nothing to decompose, and ASCII casefolds to lower case.
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plain(markup: str) -> str:
    """Sanitised HTML (descriptions, cue markup) as plain text on one line."""
    spaced = _BLOCK_TAG.sub(" <", markup)
    return " ".join(html.unescape(strip_tags(spaced)).split())


def stem(word: str) -> str:
    """A folded word without a common ending (see the module docstring)."""
    for ending, shortest, replacement in _ENDINGS:
        if len(word) >= shortest and word.endswith(ending):
            return word[: -len(ending)] + replacement
    return word


@dataclass(frozen=True)
class QueryWord:
    """One word of a query as typed; ``parts`` are its folded pieces
    ("copy-on-write" is one word of three parts, matched as a phrase)."""

    parts: tuple[str, ...]


def query_words(query: str) -> list[QueryWord]:
    """The words of ``query``, folded; punctuation and operators dropped."""
    words: list[QueryWord] = []
    for chunk in query.split():
        parts = tuple(_WORD.findall(fold(chunk)))
        if parts:
            words.append(QueryWord(parts))
    return words[:MAX_WORDS]


def config_for_language(tag: str) -> str:
    """The PostgreSQL text search configuration for a BCP 47 tag."""
    primary = tag.split("-", 1)[0].lower()
    return {"es": "spanish", "en": "english"}.get(primary, "simple")


def marked_prefixes(words: list[QueryWord]) -> tuple[str, ...]:
    """The folded beginnings a shown word must have to be marked."""
    found: list[str] = []
    for word in words:
        for part in word.parts:
            found.append(stem(part) if len(word.parts) == 1 else part)
    return tuple(found)


def highlight(text: str, prefixes: tuple[str, ...], *, width: int = 0) -> str:
    """``text`` as safe HTML, each word that begins with one of ``prefixes``
    (folded) in ``<mark>``; with ``width``, only about that many characters
    around the first marked word (at most ``width``), with "…" where cut."""
    spans = [
        (m.start(), m.end())
        for m in _WORD.finditer(text)
        if prefixes and fold(m.group()).startswith(prefixes)
    ]
    start, end = 0, len(text)
    if width and len(text) > width:
        first, first_end = spans[0] if spans else (0, 0)
        # Some text before the first marked word, as long as the word fits.
        lead = max(0, min(width // 3, width - (first_end - first)))
        start = max(0, min(first - lead, len(text) - width))
        end = start + width
        spans = [(a, b) for a, b in spans if a >= start and b <= end]
    pieces: list[str] = ["…"] if start > 0 else []
    position = start
    for a, b in spans:
        pieces.append(html.escape(text[position:a]))
        pieces.append(f"<mark>{html.escape(text[a:b])}</mark>")
        position = b
    pieces.append(html.escape(text[position:end]))
    if end < len(text):
        pieces.append("…")
    return "".join(pieces)
