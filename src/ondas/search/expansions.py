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

import re

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


def _initials(tokens: list[str]) -> str:
    return "".join(fold(t)[0] for t in tokens if t)


def _acronym_expansions(acronym: str, phrases: list[list[str]]) -> list[str]:
    wanted = fold(acronym)
    found: list[str] = []
    for tokens in phrases:
        for token in tokens:
            parts = re.split(r"[-'’]", token)
            if len(parts) == len(wanted) and _initials(parts) == wanted:
                found.append(token)
        for start in range(len(tokens)):
            run = tokens[start : start + len(wanted)]
            if len(run) == len(wanted) and _initials(run) == wanted:
                found.append(" ".join(run))
    return found


def _prefix_expansions(word: str, phrases: list[list[str]]) -> list[str]:
    folded = fold(word)
    found: list[str] = []
    for tokens in phrases:
        for token in tokens:
            plain = _POSSESSIVE.sub("", token)
            longer = fold(plain)
            rest = longer[len(folded) :]
            if longer.startswith(folded) and rest and rest not in _ENDINGS:
                if "-" not in rest:
                    found.append(plain)
    return found


def chapter_expansions(title: str, text: str) -> str:
    """The words of ``text`` (plain) that ``title`` abbreviates, once each,
    space-separated; "" when there are none."""
    phrases = [_TOKEN.findall(phrase) for phrase in _PHRASE_BREAK.split(text)]
    phrases = [tokens for tokens in phrases if tokens]
    found: list[str] = []
    for word in _TITLE_WORD.findall(title):
        if _is_acronym(word):
            found += _acronym_expansions(word, phrases)
        if len(word) >= 4:
            found += _prefix_expansions(word, phrases)
    seen: set[str] = set()
    unique = []
    for expansion in found:
        if fold(expansion) not in seen and fold(expansion) not in fold(title):
            seen.add(fold(expansion))
            unique.append(expansion)
    return " ".join(unique)
