"""Meaning, with the optional ``semantic`` extra (``pip install 'ondas[semantic]'``).

The model is wordllama's ``l2_supercat`` (256 dimensions, cut to its first
``DIMENSIONS``, which it was trained to allow), whose weights
and tokenizer ship inside the wheel: it is loaded from the package's own
directory with downloads disabled, so nothing is ever fetched at run time
(a missing file is an error, not a download). Without the package, or with
``ONDAS_SEARCH_SEMANTIC=0``, nothing here runs and search is full text only.

Index time: every episode, audiobook, chapter (with what its title
abbreviates, ``search.expansions``) and transcript cue written to the index
gets a unit vector in ``SearchVector`` (float32 bytes: the same on SQLite
and PostgreSQL), in the transaction that writes the documents, which also
changes ``SearchIndexState.version``.

Query time: each process keeps every vector in one numpy matrix
(``_Matrix``), checked against the stored version with one small query per
search; a new version loads only the rows newer than the newest it holds,
a new generation (``ondas search reindex``) or a matrix that has doubled
since it was loaded whole loads everything again. Rows deleted since stay
in the matrix until then: they cost a row of arithmetic and are dropped by
the visibility query every candidate goes through. One matrix product ranks
every vector against the query.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection

from ondas.search.bulk import vectors_insert
from ondas.search.models import SearchDocument, SearchIndexState, SearchVector

# One thread per matrix product: a request is one thread of a worker, and
# OpenBLAS's own threads on a busy box made a 10,000-row product 30 ms
# instead of 1 ms here. Read when numpy is first imported (lazily, below).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float32]
    Ints = npt.NDArray[np.int64]

Kind = SearchDocument.Kind
# What gets a vector: things a listener looks for by what they are about.
KINDS = (Kind.EPISODE, Kind.AUDIOBOOK, Kind.CHAPTER, Kind.BOOK_CHAPTER, Kind.TRANSCRIPT)
# Half the model's 256: the same demo rankings, half the memory and time.
DIMENSIONS = 128
# Characters of an episode's or a book's text embedded (its beginning).
MAX_TEXT_CHARS = 2000
# Rows read per query while the matrix loads.
LOAD_BATCH = 20_000


def installed() -> bool:
    """Whether the ``semantic`` extra's model package is importable."""
    return importlib.util.find_spec("wordllama") is not None


def enabled() -> bool:
    """Installed and not turned off (``ONDAS_SEARCH_SEMANTIC``)."""
    return bool(getattr(settings, "ONDAS_SEARCH_SEMANTIC", True)) and installed()


def weight() -> float:
    """The share of a blended score that is meaning (0 to 1)."""
    return float(getattr(settings, "ONDAS_SEARCH_SEMANTIC_WEIGHT", 0.5))


@functools.cache
def _model() -> Any:
    import wordllama

    # Weights and tokenizer are files of the package itself; never a hub.
    return wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent,
        dim=256,
        trunc_dim=DIMENSIONS,
        disable_download=True,
    )


def embed(texts: list[str]) -> Floats:
    """Unit vectors (float32, one row per text) of ``texts``."""
    import numpy as np

    vectors = _model().embed(texts, norm=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def _text(document: SearchDocument) -> str:
    if document.kind == Kind.TRANSCRIPT:
        return document.body
    if document.kind in (Kind.CHAPTER, Kind.BOOK_CHAPTER):
        return f"{document.title} {document.body}".strip()
    return f"{document.title}. {document.body}"[:MAX_TEXT_CHARS]


def _bump(*, generation: bool = False) -> None:
    """Tell every process's matrix that vectors changed (in this transaction)."""
    token = uuid.uuid4().hex
    defaults = {"version": token}
    if generation:
        defaults["generation"] = token
    state, created = SearchIndexState.objects.get_or_create(pk=1, defaults=defaults)
    if not created:
        fields = list(defaults)
        for name, value in defaults.items():
            setattr(state, name, value)
        state.save(update_fields=fields)


def vectors_write(documents: Iterable[SearchDocument]) -> int:
    """Embed and store the vectors of these freshly created documents (the
    kinds of ``KINDS``); return how many. Nothing when semantic is off."""
    if not enabled():
        return 0
    wanted = [d for d in documents if d.kind in KINDS and _text(d)]
    if not wanted:
        return 0
    # Each distinct text once: chapters called "Intro" in every episode, and
    # their empty expansions, are embedded a single time.
    texts = [_text(d) for d in wanted]
    distinct = list(dict.fromkeys(texts))
    vectors = dict(zip(distinct, embed(distinct), strict=True))
    rows = []
    for document, text in zip(wanted, texts, strict=True):
        assert document.pk is not None, "the insert set no primary key"
        rows.append((document.pk, vectors[text].tobytes()))
    vectors_insert(rows)
    _bump()
    return len(rows)


def vectors_new_generation() -> None:
    """Mark a rebuild of the whole index: every matrix loads afresh."""
    if enabled():
        _bump(generation=True)


@dataclass
class _Matrix:
    generation: str
    version: str
    ids: Ints  # ascending document ids
    vectors: Floats  # one unit row per id
    loaded_whole: int  # rows at the last full load


_matrices: dict[str, _Matrix] = {}
_lock = threading.Lock()


def _read(after: int) -> tuple[Ints, Floats]:
    import numpy as np

    ids: list[int] = []
    chunks: list[bytes] = []
    last = after
    while True:
        batch = list(
            SearchVector.objects.filter(document_id__gt=last)
            .order_by("document_id")
            .values_list("document_id", "data")[:LOAD_BATCH]
        )
        for pk, data in batch:
            ids.append(pk)
            chunks.append(bytes(data))
        if len(batch) < LOAD_BATCH:
            break
        last = batch[-1][0]
    vectors = np.frombuffer(b"".join(chunks), dtype="<f4").astype(np.float32)
    return np.array(ids, dtype=np.int64), vectors.reshape(len(ids), DIMENSIONS)


def _matrix() -> _Matrix:
    import numpy as np

    state = SearchIndexState.objects.filter(pk=1).values("generation", "version")
    found = state.first() or {"generation": "", "version": ""}
    alias = connection.alias
    with _lock:
        cached = _matrices.get(alias)
        if cached is not None and cached.version == found["version"]:
            return cached
        whole = (
            cached is None
            or cached.generation != found["generation"]
            or len(cached.ids) > 2 * max(cached.loaded_whole, 1)
        )
        if whole:
            ids, vectors = _read(after=0)
            matrix = _Matrix(
                found["generation"], found["version"], ids, vectors, len(ids)
            )
        else:
            assert cached is not None
            newest = int(cached.ids[-1]) if len(cached.ids) else 0
            more_ids, more = _read(after=newest)
            matrix = _Matrix(
                cached.generation,
                found["version"],
                np.concatenate([cached.ids, more_ids]),
                np.concatenate([cached.vectors, more]),
                cached.loaded_whole,
            )
        _matrices[alias] = matrix
        return matrix


@dataclass(frozen=True)
class Similarities:
    """The cosine of a query with every stored vector."""

    ids: Ints
    cosines: Floats

    def best(self, *, limit: int, minimum: float) -> dict[int, float]:
        """The ``limit`` most similar documents at ``minimum`` or above."""
        import numpy as np

        if not len(self.ids):
            return {}
        count = min(limit, len(self.ids))
        top = np.argpartition(-self.cosines, count - 1)[:count]
        return {
            int(self.ids[i]): float(self.cosines[i])
            for i in top
            if self.cosines[i] >= minimum
        }

    def of(self, ids: Iterable[int]) -> dict[int, float]:
        """The cosine of each of ``ids`` that has a vector."""
        import numpy as np

        wanted = np.array(sorted(set(ids)), dtype=np.int64)
        if not len(wanted) or not len(self.ids):
            return {}
        at = np.searchsorted(self.ids, wanted)
        at[at >= len(self.ids)] = 0
        hit = self.ids[at] == wanted
        return {
            int(pk): float(self.cosines[i])
            for pk, i, ok in zip(wanted, at, hit, strict=True)
            if ok
        }


def similarities(query: str) -> Similarities:
    """The query's cosine with every vector in the index."""
    matrix = _matrix()
    vector = embed([query])[0]
    return Similarities(ids=matrix.ids, cosines=matrix.vectors @ vector)
