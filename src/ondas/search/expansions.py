"""What a terse chapter title stands for, read from its episode's own text.

Chapter titles are short and full of abbreviations ("CoW page fault", "How
did Dynamo lost its DNS?") that the description around them spells out
("copy-on-write", "DynamoDB's DNS record"). Neither full text nor a small
embedding model connects the two, so the index stores, in the chapter's
document, the description's words the title abbreviates:

- an acronym in the title (two to six letters, at least two of them capitals:
  "CoW", "VMA") stands for a hyphenated word ("copy-on-write") or a run of
  words inside one phrase of the description (not across punctuation) whose
  initials spell it;
- a title word of four letters or more stands for a longer description word
  it begins ("Dynamo" → "DynamoDB"), unless what follows is only an ending
  ("fault" → "faults" adds nothing).

A description that spells nothing out adds nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ondas.search.text import fold

_TITLE_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”«»—–/]+")
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
# What may follow a title word in a longer word without making it another word.
_ENDINGS = frozenset({"s", "es", "ed", "ing", "er", "ers", "ly"})
# Longest run of words an acronym is looked for in.
_MAX_ACRONYM = 6


def _is_acronym(word: str) -> bool:
    capitals = sum(1 for c in word if c.isupper())
    return 2 <= len(word) <= _MAX_ACRONYM and word.isalpha() and capitals >= 2


@dataclass(frozen=True)
class _Token:
    text: str  # as written
    parts: int  # hyphen/apostrophe parts
    initials: str  # their folded first letters
    initial: str  # folded first letter
    plain: str  # without a possessive ending
    folded: str  # ``plain`` folded


@dataclass(frozen=True)
class Prepared:
    """A description split into phrases of tokens, each token folded once:
    what every chapter title of the episode is matched against."""

    phrases: tuple[tuple[_Token, ...], ...]


# Words recur from one description to the next: each is folded once (a
# bounded cache: a few MiB at most, in a web worker too).
@functools.lru_cache(maxsize=8192)
def _token(text: str) -> _Token:
    parts = [fold(p) for p in re.split(r"[-'’]", text)]
    plain = _POSSESSIVE.sub("", text)
    return _Token(
        text=text,
        parts=len(parts),
        initials="".join(p[0] for p in parts if p),
        initial=fold(text)[:1],
        plain=plain,
        folded=fold(plain),
    )


def prepare(text: str) -> Prepared:
    """Split and fold ``text`` (plain) once, for ``chapter_expansions``."""
    phrases = [_TOKEN.findall(phrase) for phrase in _PHRASE_BREAK.split(text)]
    return Prepared(
        phrases=tuple(tuple(_token(t) for t in tokens) for tokens in phrases if tokens)
    )


def _acronym_expansions(acronym: str, prepared: Prepared) -> list[str]:
    wanted = fold(acronym)
    found: list[str] = []
    for tokens in prepared.phrases:
        for token in tokens:
            if token.parts == len(wanted) and token.initials == wanted:
                found.append(token.text)
        for start in range(len(tokens)):
            run = tokens[start : start + len(wanted)]
            if len(run) == len(wanted) and "".join(t.initial for t in run) == wanted:
                found.append(" ".join(t.text for t in run))
    return found


def _prefix_expansions(word: str, prepared: Prepared) -> list[str]:
    folded = fold(word)
    found: list[str] = []
    for tokens in prepared.phrases:
        for token in tokens:
            rest = token.folded[len(folded) :]
            if token.folded.startswith(folded) and rest and rest not in _ENDINGS:
                if "-" not in rest:
                    found.append(token.plain)
    return found


def chapter_expansions(title: str, text: str | Prepared) -> str:
    """The words of ``text`` (plain, or ``prepare``d once for all the
    chapters of one episode) that ``title`` abbreviates, once each,
    space-separated; "" when there are none."""
    prepared = text if isinstance(text, Prepared) else prepare(text)
    found: list[str] = []
    for word in _TITLE_WORD.findall(title):
        if _is_acronym(word):
            found += _acronym_expansions(word, prepared)
        if len(word) >= 4:
            found += _prefix_expansions(word, prepared)
    seen: set[str] = set()
    unique = []
    folded_title = fold(title)
    for expansion in found:
        folded = fold(expansion)
        if folded not in seen and folded not in folded_title:
            seen.add(folded)
            unique.append(expansion)
    return " ".join(unique)
