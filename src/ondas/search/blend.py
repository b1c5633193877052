"""Full text and meaning in one ranking (with the ``semantic`` extra).

Two bounded candidate sets: the documents that match *any* query word, as
the engine ranks them (``engines.ids_scored_any``, ``LEXICAL_WINDOW`` of
them at least), and the ``SEMANTIC_CANDIDATES`` documents nearest the
query's meaning whose cosine reaches ``MIN_COSINE``. Which of those the
listener may see is asked of the union only (the same rule as the full-text
path: an exclusive transcript cue stays hidden from a listener without
rights). Each survivor scores

    (1 - weight) × text + weight × max(cosine, 0)

where ``text`` is its engine score over the best one among the candidates
(0 to 1; 0 when no word matched) and ``weight`` is
``ONDAS_SEARCH_SEMANTIC_WEIGHT``. A document outside both sets is not
found, however well it would score: the price of a bounded search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ondas.search import semantic
from ondas.search.engines import ids_scored_any
from ondas.search.text import QueryWord

# Documents the engine gives, at least (one more than the count shown, so
# that "100+" is true when it says so).
LEXICAL_WINDOW = 101
SEMANTIC_CANDIDATES = 200
# Below this a document found only by meaning is not shown: unrelated text
# in the same language scores about 0.2-0.3 with this model.
MIN_COSINE = 0.4
# Query words shorter than this are left out of the OR (they match as
# prefixes, so "he" would match half the index), and so are the commonest
# English and Spanish words (a question's "where", "cuándo"), unless that
# leaves none: in an OR they find everything, and meaning does their work.
MIN_WORD_CHARS = 3
COMMON_WORDS = frozenset(
    """the and for are but not you all any can had her was one our out has him
    his how its who did does doing what when where which why with this that
    these those from they them have there their about into than then also
    que los las del por con una uno unos unas para como cuando donde pero mas
    sus les esta este esto eso esa hay fue son ser sin sobre entre cual quien
    porque""".split()
)


@dataclass(frozen=True)
class Blended:
    ids: list[int]  # visible, best first
    complete: bool  # every candidate is in ``ids``: the count is exact
    scores: dict[int, float]


def _loose_words(words: list[QueryWord]) -> list[QueryWord]:
    kept = [
        w
        for w in words
        if sum(len(p) for p in w.parts) >= MIN_WORD_CHARS
        and " ".join(w.parts) not in COMMON_WORDS
    ]
    return kept or words


def blended_ranking(
    *,
    query: str,
    words: list[QueryWord],
    wanted: int,
    visible: Callable[[list[int]], set[int]],
) -> Blended:
    """The first ``wanted`` visible documents or more, best blended first
    (ties by id), out of the two candidate sets."""
    window = max(LEXICAL_WINDOW, wanted * 4)
    lexical = dict(ids_scored_any(_loose_words(words), limit=window))
    meaning = semantic.similarities(query)
    nearest = meaning.best(limit=SEMANTIC_CANDIDATES, minimum=MIN_COSINE)
    candidates = set(lexical) | set(nearest)
    shown = visible(sorted(candidates))
    cosines = {**meaning.of(pk for pk in shown if pk not in nearest), **nearest}
    best_text = max((lexical[pk] for pk in shown if pk in lexical), default=0.0)
    share = semantic.weight()
    scores = {}
    for pk in shown:
        text = lexical.get(pk, 0.0) / best_text if best_text > 0 else 0.0
        scores[pk] = (1 - share) * text + share * max(cosines.get(pk, 0.0), 0.0)
    # Nothing scores nothing: at weight 0 meaning alone finds nothing, at
    # weight 1 neither do the words alone.
    ranked = sorted(
        (pk for pk in shown if scores[pk] > 0), key=lambda pk: (-scores[pk], pk)
    )
    return Blended(ids=ranked, complete=len(lexical) < window, scores=scores)
