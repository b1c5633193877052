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

Both rank and cut inside the engine (``ids_ranked``: ``ORDER BY … LIMIT``
over the FTS5 table or the indexed column alone) and return ids; which of
those a listener may see is asked afterwards, of those rows only
(``search.selectors``), so a common word costs its ranking, not a join of
every match.
"""

from __future__ import annotations

from django.db import connection

from ondas.search.models import SearchDocument
from ondas.search.text import QueryWord, stem

TABLE = SearchDocument._meta.db_table
# Smallest pg_trgm word similarity a near spelling needs.
TRIGRAM_THRESHOLD = 0.5
# What ``titles=True`` searches: things with a page of their own (SQLite's
# ``search_titles`` table holds these titles only; see its migration).
Kind = SearchDocument.Kind
TITLE_KINDS = (Kind.SHOW, Kind.EPISODE, Kind.AUDIOBOOK)
# Parameters of the SQL built here: the words and fixed numbers.
Params = list[str | float | int]
_TITLE_KINDS_SQL = "(" + ", ".join(f"'{kind.value}'" for kind in TITLE_KINDS) + ")"


def _fts5_expression(words: list[QueryWord], *, joiner: str = " ") -> str:
    terms = []
    for word in words:
        parts = list(word.parts)
        if len(parts) == 1:
            parts[0] = stem(parts[0])
        # Every part is \w+ (search.text), so quoting needs no escaping.
        terms.append('"' + " ".join(parts) + '"*')
    return joiner.join(terms)


def _tsquery_text(words: list[QueryWord], *, joiner: str = " & ") -> str:
    return joiner.join(
        "(" + " <-> ".join(f"{part}:*" for part in word.parts) + ")" for word in words
    )


def _postgres_query() -> str:
    configs = ("spanish", "english", "simple")
    return "(" + " || ".join(f"to_tsquery('{c}', %s)" for c in configs) + ")"


def _pg_titles(text: str) -> str:
    # A tsquery lexeme "word:*A" matches only the title's (weight A) words.
    return text.replace(":*", ":*A")


def _match_sql(
    words: list[QueryWord], *, near: bool, titles: bool
) -> tuple[str, Params, str, Params] | None:
    """The SELECT of the ids that match with its parameters, and the ORDER BY
    that ranks them with its own, over the engine's structure alone (no
    join); None when the engine has no such search (``near`` on SQLite).
    ``near`` compares the whole folded text, ``titles`` or not."""
    if connection.vendor == "postgresql":
        if near:
            folded = " ".join(" ".join(w.parts) for w in words)
            similarity = f"word_similarity(%s, {TABLE}.folded)"
            return (
                f"SELECT id FROM {TABLE} WHERE {similarity} >= %s",  # noqa: S608 - fixed SQL
                [folded, TRIGRAM_THRESHOLD],
                f"{similarity} DESC, id",
                [folded],
            )
        text = _tsquery_text(words)
        where = f"vector @@ {_postgres_query()}"
        if titles:
            text = _pg_titles(text)
            where += f" AND kind IN {_TITLE_KINDS_SQL}"
        query = _postgres_query()
        return (
            f"SELECT id FROM {TABLE} WHERE {where}",  # noqa: S608 - fixed SQL
            [text, text, text],
            f"ts_rank(vector, {query}) DESC, id",
            [text, text, text],
        )
    if near:
        return None
    expression = _fts5_expression(words)
    if titles:
        # The titles of TITLE_KINDS alone, in a table of their own.
        return (
            "SELECT rowid FROM search_titles WHERE search_titles MATCH %s",
            [expression],
            "bm25(search_titles), rowid",
            [],
        )
    # The title counts eight times the body.
    return (
        "SELECT rowid FROM search_fts WHERE search_fts MATCH %s",
        [expression],
        "bm25(search_fts, 8.0, 1.0), rowid",
        [],
    )


def ids_ranked(
    words: list[QueryWord], *, near: bool, titles: bool = False, limit: int | None
) -> list[int]:
    """The ids of at most ``limit`` (None: all) documents that match every
    word, best first, ties by id (so that a longer window begins with a
    shorter one); ``near``: by similar spelling instead (PostgreSQL only,
    none elsewhere); ``titles``: in the titles of ``TITLE_KINDS`` only
    (exact matches; ``near`` ignores it).

    Ranked and cut inside the engine, before any join: which of these rows a
    listener may see is for the caller to ask, of these rows only."""
    match = _match_sql(words, near=near, titles=titles)
    if match is None:
        return []
    select, params, order, order_params = match
    sql = f"{select} ORDER BY {order}"
    params = [*params, *order_params]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def ids_matching_sql(
    words: list[QueryWord], *, near: bool, titles: bool = False
) -> tuple[str, Params] | None:
    """The SELECT of the ids of every document that matches, unranked (what
    a count is taken over), or None as in ``ids_ranked``."""
    match = _match_sql(words, near=near, titles=titles)
    if match is None:
        return None
    select, params, _, _ = match
    return select, params


def ids_scored_any(words: list[QueryWord], *, limit: int) -> list[tuple[int, float]]:
    """At most ``limit`` documents that match any of ``words`` (an OR, as
    the semantic blend wants: meaning decides what fits), best first, each
    with the engine's score, higher better: BM25 on SQLite (so a rare word
    counts more than a common one), ``ts_rank`` on PostgreSQL."""
    if connection.vendor == "postgresql":
        text = _tsquery_text(words, joiner=" | ")
        query = _postgres_query()
        sql = (
            f"SELECT id, ts_rank(vector, {query}) AS score FROM {TABLE} "  # noqa: S608 - fixed SQL
            f"WHERE vector @@ {query} ORDER BY score DESC, id LIMIT %s"
        )
        params: Params = [text, text, text, text, text, text, limit]
    else:
        sql = (
            "SELECT rowid, -bm25(search_fts, 8.0, 1.0) FROM search_fts "
            "WHERE search_fts MATCH %s ORDER BY bm25(search_fts, 8.0, 1.0), rowid "
            "LIMIT %s"
        )
        params = [_fts5_expression(words, joiner=" OR "), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], float(row[1])) for row in cursor.fetchall()]
