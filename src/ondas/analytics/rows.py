"""The ingest's reads and writes of plain rows, through the database cursor.

Making a model instance per download window, and preparing each value
through its field, was most of the ingest's time (bench/README.md): here a
window is a plain list, read and written with ``execute``/``executemany``.
SQLite gets its values prepared by hand, as Django's backend would store
them; other databases through the fields.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection

from ondas.analytics.models import (
    DailyEpisodeDownloads,
    DailyShowDownloads,
    DownloadWindow,
    ListenerDay,
)

# A download window while a batch holds it, a plain list (no model instance):
# [pk or None, episode id, listener digest, started_at, intervals, loose
# bytes, counted_on, changed].
W_PK, W_EPISODE, W_LISTENER, W_STARTED, W_INTERVALS, W_LOOSE, W_COUNTED, W_CHANGED = (
    range(8)
)
Window = list[Any]
# Listener digests per query (SQLite from 3.32 and PostgreSQL take far more
# parameters than this).
WINDOWS_READ = 5_000


def windows_read(digests: list[str], first: datetime, last: datetime) -> list[Window]:
    """The windows of these listeners started between ``first`` and ``last``,
    as plain rows (read with the database cursor: no model instances)."""
    meta = DownloadWindow._meta
    moment = meta.get_field("started_at").get_db_prep_value
    quote = connection.ops.quote_name
    names = ", ".join(
        quote(c)
        for c in [
            "id",
            "episode_id",
            "listener",
            "started_at",
            "intervals",
            "loose_bytes",
            "counted_on",
        ]
    )
    bounds = [moment(first, connection), moment(last, connection)]
    windows: list[Window] = []
    with connection.cursor() as cursor:
        for i in range(0, len(digests), WINDOWS_READ):
            chunk = digests[i : i + WINDOWS_READ]
            cursor.execute(
                f"SELECT {names} FROM {quote(meta.db_table)}"  # noqa: S608
                f" WHERE {quote('listener')} IN ({', '.join(['%s'] * len(chunk))})"
                f" AND {quote('started_at')} > %s AND {quote('started_at')} < %s",
                [*chunk, *bounds],
            )
            for pk, episode, listener, started, spans, loose, counted in cursor:
                # SQLite answers text or naive UTC; PostgreSQL aware values.
                if isinstance(started, str):
                    started = datetime.fromisoformat(started)
                if started.tzinfo is None:
                    started = started.replace(tzinfo=UTC)
                if isinstance(spans, str):
                    spans = json.loads(spans)
                if isinstance(counted, str):
                    counted = date.fromisoformat(counted)
                windows.append(
                    [pk, episode, listener, started, spans, loose, counted, False]
                )
    return windows


def _prepare_sqlite(w: Window) -> tuple[Any, ...]:
    """A window's values as Django's SQLite backend stores them (naive UTC
    text, JSON text), without going through the fields (a third of the time)."""
    counted = w[W_COUNTED]
    return (
        w[W_STARTED].astimezone(UTC).replace(tzinfo=None).isoformat(" "),
        json.dumps(w[W_INTERVALS]),
        w[W_LOOSE],
        None if counted is None else counted.isoformat(),
    )


def _prepare_fields() -> Callable[[Window], tuple[Any, ...]]:
    """A window's values as the fields prepare them, for other databases."""
    meta = DownloadWindow._meta
    started = meta.get_field("started_at").get_db_prep_save
    intervals = meta.get_field("intervals").get_db_prep_save
    counted = meta.get_field("counted_on").get_db_prep_save

    def prepare(w: Window) -> tuple[Any, ...]:
        return (
            started(w[W_STARTED], connection),
            intervals(w[W_INTERVALS], connection),
            w[W_LOOSE],
            counted(w[W_COUNTED], connection),
        )

    return prepare


def windows_write(windows: list[Window]) -> None:
    """Insert the new windows and update the changed ones, with executemany."""
    meta = DownloadWindow._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    prepare = _prepare_sqlite if connection.vendor == "sqlite" else _prepare_fields()
    for w in windows:
        values = prepare(w)
        if w[W_PK] is None:
            inserts.append((w[W_EPISODE], w[W_LISTENER], *values))
        else:
            updates.append((*values, w[W_PK]))
    columns = ["started_at", "intervals", "loose_bytes", "counted_on"]
    with connection.cursor() as cursor:
        if inserts:
            names = ", ".join(quote(c) for c in ["episode_id", "listener", *columns])
            marks = ", ".join(["%s"] * (len(columns) + 2))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                inserts,
            )
        if updates:
            sets = ", ".join(f"{quote(c)} = %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {quote('id')} = %s",  # noqa: S608
                updates,
            )


def listener_days_read(
    wanted: set[tuple[date, int, int | None, str]],
) -> set[tuple[date, int, int | None, str]]:
    """Which of these (day, show, episode, listener) rows are stored already."""
    meta = ListenerDay._meta
    quote = connection.ops.quote_name
    prepare = meta.get_field("day").get_db_prep_value
    days = [prepare(d, connection) for d in {row[0] for row in wanted}]
    listeners = sorted({row[3] for row in wanted})
    names = ", ".join(quote(c) for c in ["day", "show_id", "episode_id", "listener"])
    found: set[tuple[date, int, int | None, str]] = set()
    with connection.cursor() as cursor:
        for i in range(0, len(listeners), WINDOWS_READ):
            chunk = listeners[i : i + WINDOWS_READ]
            cursor.execute(
                f"SELECT {names} FROM {quote(meta.db_table)}"  # noqa: S608
                f" WHERE {quote('listener')} IN ({', '.join(['%s'] * len(chunk))})"
                f" AND {quote('day')} IN ({', '.join(['%s'] * len(days))})",
                [*chunk, *days],
            )
            for day, show, episode, listener in cursor:
                if isinstance(day, str):
                    day = date.fromisoformat(day)
                found.add((day, show, episode, listener))
    return found


def listener_days_write(rows: set[tuple[date, int, int | None, str]]) -> None:
    if not rows:
        return
    meta = ListenerDay._meta
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in ["day", "show_id", "episode_id", "listener"])
    # A batch holds a few days: each prepared once, not once per row.
    prepare = meta.get_field("day").get_db_prep_save
    days = {d: prepare(d, connection) for d in {row[0] for row in rows}}
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(meta.db_table)} ({names})"  # noqa: S608
            " VALUES (%s, %s, %s, %s)",
            [(days[d], s, e, listener) for d, s, e, listener in rows],
        )


def rollup_add(
    model: type[DailyEpisodeDownloads] | type[DailyShowDownloads],
    key: str,
    downloads: Counter[tuple[int, date]],
    listeners: Counter[tuple[int, date]],
) -> None:
    """Add a batch's counts to the daily rows: one read, one upsert."""
    if not downloads:
        return
    rows = {
        (getattr(row, key), row.day): row
        for row in model.objects.filter(
            **{f"{key}__in": {k for k, _d in downloads}},
            day__in={d for _k, d in downloads},
        )
    }
    fresh: list[Any] = []
    for pair, count in downloads.items():
        row = rows.get(pair)
        if row is None:
            row = model(**{key: pair[0]}, day=pair[1])
        row.downloads += count
        row.listeners += listeners[pair]
        fresh.append(row)
    field = key.removesuffix("_id")
    model.objects.bulk_create(
        fresh,
        update_conflicts=True,
        unique_fields=[field, "day"],
        update_fields=["downloads", "listeners"],
    )
