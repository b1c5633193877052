"""The two engines behind one interface: ``documents_matching``.

SQLite: an FTS5 table (``search_fts``) over the documents' title and body,
an external-content table kept by triggers, tokenizer ``unicode61
remove_diacritics 2`` (accents folded both ways), ranked by BM25 with the
title counting eight times the body. Query words are cut to rough stems
(``search.text.stem``) and matched as prefixes.

PostgreSQL: a ``vector`` column on ``search_searchdocument``, set by a
trigger as ``to_tsvector(config, unaccent(…))`` with the document's own
language (``config``: spanish, english or simple) and the title weighted
above the body, under a GIN index; a query is stemmed in all three
configurations and matched as prefixes, ranked by ``ts_rank``. When that
finds nothing, ``pg_trgm``'s word similarity over the folded text (a GIN
trigram index) finds near spellings ("kernal" → "kernel").
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from ondas.search.models import SearchDocument
from ondas.search.text import QueryWord, stem

TABLE = SearchDocument._meta.db_table
# Smallest pg_trgm word similarity a near spelling needs.
TRIGRAM_THRESHOLD = 0.5


def _fts5_expression(words: list[QueryWord]) -> str:
    terms = []
    for word in words:
        parts = list(word.parts)
        if len(parts) == 1:
            parts[0] = stem(parts[0])
        # Every part is \w+ (search.text), so quoting needs no escaping.
        terms.append('"' + " ".join(parts) + '"*')
    return " ".join(terms)


def _tsquery_text(words: list[QueryWord]) -> str:
    return " & ".join(
        "(" + " <-> ".join(f"{part}:*" for part in word.parts) + ")" for word in words
    )


def _postgres_query() -> str:
    configs = ("spanish", "english", "simple")
    return "(" + " || ".join(f"to_tsquery('{c}', %s)" for c in configs) + ")"


def documents_matching(
    documents: QuerySet[SearchDocument], words: list[QueryWord], *, near: bool
) -> QuerySet[SearchDocument]:
    """``documents`` that match every word, best first, with ``rank`` (lower
    is better); ``near``: by similar spelling instead (PostgreSQL only,
    none elsewhere)."""
    if connection.vendor == "postgresql":
        if near:
            folded = " ".join(" ".join(w.parts) for w in words)
            similarity = f"word_similarity(%s, {TABLE}.folded)"
            return documents.extra(  # noqa: S610 - fixed SQL, words as parameters
                select={"rank": f"-{similarity}"},
                select_params=[folded],
                where=[f"{similarity} >= %s"],
                params=[folded, TRIGRAM_THRESHOLD],
            ).order_by("rank", "pk")
        text = _tsquery_text(words)
        query = _postgres_query()
        return documents.extra(  # noqa: S610 - fixed SQL, words as parameters
            select={"rank": f"-ts_rank({TABLE}.vector, {query})"},
            select_params=[text, text, text],
            where=[f"{TABLE}.vector @@ {query}"],
            params=[text, text, text],
        ).order_by("rank", "pk")
    if near:
        return documents.none()
    return documents.extra(  # noqa: S610 - fixed SQL, words as parameters
        select={"rank": "bm25(search_fts, 8.0, 1.0)"},
        tables=["search_fts"],
        where=[f"search_fts.rowid = {TABLE}.id", "search_fts MATCH %s"],
        params=[_fts5_expression(words)],
    ).order_by("rank", "pk")
