"""Index rows written in bulk: one multi-row ``INSERT … RETURNING`` per few
hundred documents, and one ``executemany`` for their vectors.

Django's ``bulk_create`` compiles every field of every row through the
model's field machinery; at a 50,000-episode import (some 270,000
documents) that alone was most of the index's time. The documents here are
built already complete (folded text and all), so their values go straight
to the database. The ids come back by ``RETURNING`` (SQLite ≥ 3.35, PostgreSQL),
as for ``bulk_create``; a database that cannot return them takes
``bulk_create``'s path.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router

from ondas.search.models import SearchDocument, SearchVector

# Columns written, in order (``id`` comes back).
_COLUMNS = (
    "kind",
    "show_id",
    "episode_id",
    "audiobook_id",
    "title",
    "body",
    "folded",
    "config",
    "start_seconds",
    "source",
)
# Rows per statement: 5,000 parameters, far under either database's limit.
ROWS_PER_INSERT = 500


def documents_insert(documents: Sequence[SearchDocument]) -> None:
    """Insert these new documents, setting each one's ``pk``."""
    if not documents:
        return
    alias = router.db_for_write(SearchDocument)
    connection = connections[alias]
    if not connection.features.can_return_rows_from_bulk_insert:
        SearchDocument.objects.using(alias).bulk_create(
            documents, batch_size=ROWS_PER_INSERT
        )
        return
    quote = connection.ops.quote_name
    table = quote(SearchDocument._meta.db_table)
    columns = ", ".join(quote(c) for c in _COLUMNS)
    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(documents), ROWS_PER_INSERT):
            chunk = documents[start : start + ROWS_PER_INSERT]
            params: list[str | int | float | None] = []
            for d in chunk:
                params += (
                    d.kind,
                    d.show_id,
                    d.episode_id,
                    d.audiobook_id,
                    d.title,
                    d.body,
                    d.folded,
                    d.config,
                    d.start_seconds,
                    d.source,
                )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row] * len(chunk))
                + f" RETURNING {quote('id')}",
                params,
            )
            # Ids are handed out in the order rows are inserted (an
            # AUTOINCREMENT rowid, a sequence), whatever order RETURNING
            # lists them in.
            ids = sorted(found[0] for found in cursor.fetchall())
            if len(ids) != len(chunk):
                raise RuntimeError("the database returned fewer ids than rows")
            for document, pk in zip(chunk, ids, strict=True):
                document.pk = pk
                document._state.adding = False
                document._state.db = alias


def vectors_insert(rows: Sequence[tuple[int, bytes]]) -> None:
    """Insert ``(document id, vector bytes)`` rows in one ``executemany``."""
    if not rows:
        return
    connection = connections[router.db_for_write(SearchVector)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(SearchVector._meta.db_table)}"  # noqa: S608
            f" ({quote('document_id')}, {quote('data')}) VALUES (%s, %s)",
            list(rows),
        )
