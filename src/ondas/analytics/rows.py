"""The ingest's rows: download windows as plain values, and the writes of a
batch (windows, listener days, daily roll-ups) without model instances."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from django.db import connection
from django.db.models import DateField, DateTimeField, Field, JSONField

from ondas.analytics.models import (
    DailyEpisodeDownloads,
    DailyShowApps,
    DailyShowDownloads,
    DownloadWindow,
    ListenerDay,
)

# Ids per DELETE ... IN (...): under SQLite's old 999-parameter limit.
DELETE_CHUNK = 900
# Rows per INSERT ... RETURNING: six parameters a row, under the 32,766 of
# SQLite's current builds and PostgreSQL's 65,535.
RETURNING_CHUNK = 1000


@dataclass(slots=True)
class Window:
    """A ``DownloadWindow`` row as the ingest works on it: plain values, no
    model instance (building and saving those cost most of the ingest)."""

    pk: int | None
    episode_id: int
    listener: str
    started_at: datetime
    intervals: list[list[int]]
    loose_bytes: int
    counted_on: date | None


WINDOW_COLUMNS = (
    "episode_id",
    "listener",
    "started_at",
    "intervals",
    "loose_bytes",
    "counted_on",
)


def insert_many(
    model: type[DownloadWindow] | type[ListenerDay],
    attnames: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    returning: bool = False,
) -> list[int]:
    """INSERT plain rows by one executemany: no model instances.

    Dates, times and JSON are adapted by the database's own operations, as
    the ORM adapts them (``_adapter``), so the rows read back the same on
    SQLite and PostgreSQL. With ``returning``, one multi-row INSERT that
    answers the new ids in the order of ``rows`` (what Django's bulk_create
    relies on, on both databases); else no ids.
    """
    if not rows:
        return []
    fields = [cast(Field[Any, Any], model._meta.get_field(name)) for name in attnames]
    adapters = [_adapter(field) for field in fields]
    quote = connection.ops.quote_name
    # Names from the model's own meta, quoted; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    if any(adapters):
        params = [
            tuple(
                value if adapt is None or value is None else adapt(value)
                for adapt, value in zip(adapters, row, strict=True)
            )
            for row in rows
        ]
    else:
        params = rows
    with connection.cursor() as cursor:
        if not returning:
            cursor.executemany(sql, params)
            return []
        one = "({})".format(", ".join(["%s"] * len(fields)))
        head = sql[: sql.index(" VALUES ")]
        cursor.execute(
            f"{head} VALUES {', '.join([one] * len(params))} "
            f"RETURNING {quote(model._meta.pk.column)}",
            [value for row in params for value in row],
        )
        return [row[0] for row in cursor.fetchall()]


def _adapter(field: Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How the ORM would adapt a value of ``field`` for the database, or
    None where it passes the value as it is (text, integers)."""
    ops = connection.ops
    if isinstance(field, JSONField):
        encoder = field.encoder
        return lambda value: ops.adapt_json_value(value, encoder)
    if isinstance(field, DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, DateField):
        return ops.adapt_datefield_value
    return None


def windows_write(*, changed: list[Window], new: list[Window]) -> None:
    """Write a batch's windows: changed ones are deleted and inserted again
    under their own ids (two statements, where an UPDATE per row or
    bulk_update's CASE expressions cost more than the rest of the ingest)."""
    pks = [window.pk for window in changed]
    for i in range(0, len(pks), DELETE_CHUNK):
        DownloadWindow.objects.filter(pk__in=pks[i : i + DELETE_CHUNK]).delete()
    values = [
        (
            w.episode_id,
            w.listener,
            w.started_at,
            w.intervals,
            w.loose_bytes,
            w.counted_on,
        )
        for w in new
    ]
    # The new windows learn their ids, so a run that keeps them for its next
    # batches (``ingest._Run``) can write them again as changed ones.
    for i in range(0, len(new), RETURNING_CHUNK):
        ids = insert_many(
            DownloadWindow,
            WINDOW_COLUMNS,
            values[i : i + RETURNING_CHUNK],
            returning=True,
        )
        for window, pk in zip(new[i : i + RETURNING_CHUNK], ids, strict=True):
            window.pk = pk
    insert_many(
        DownloadWindow,
        ("id", *WINDOW_COLUMNS),
        [
            (
                w.pk,
                w.episode_id,
                w.listener,
                w.started_at,
                w.intervals,
                w.loose_bytes,
                w.counted_on,
            )
            for w in changed
        ],
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


def apps_add(downloads: Counter[tuple[int, date, str]]) -> None:
    """Add a batch's downloads per show, day and app family: one read, one
    upsert."""
    if not downloads:
        return
    rows = {
        (row.show_id, row.day, row.app): row
        for row in DailyShowApps.objects.filter(
            show_id__in={s for s, _d, _a in downloads},
            day__in={d for _s, d, _a in downloads},
        )
    }
    fresh: list[DailyShowApps] = []
    for (show, day, app), count in downloads.items():
        row = rows.get((show, day, app)) or DailyShowApps(
            show_id=show, day=day, app=app
        )
        row.downloads += count
        fresh.append(row)
    DailyShowApps.objects.bulk_create(
        fresh,
        update_conflicts=True,
        unique_fields=["show", "day", "app"],
        update_fields=["downloads"],
    )
