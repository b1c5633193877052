"""Storage faults: the database or the disk cannot take a write right now.

A full disk, a database file made read-only, a disk that fails reads, a busy
SQLite database or a PostgreSQL server shutting down are not bugs in a view:
the same request may well succeed in a moment, and the answer is ``503`` with
a ``Retry-After``, not ``500``. ``storage_fault`` recognises them in an
exception (or anything in its chain of causes: Django wraps the driver's
error in its own); anything else is no storage fault and stays a ``500``.

A connection that hit one is dropped (``connections_drop_faulty``): SQLite
keeps a connection read-only once it found its files unwritable, even after
they are writable again, and Django's health check of persistent connections
only asks whether a connection still reads.
"""

from __future__ import annotations

import errno
import sqlite3
from enum import StrEnum

from django.db import DatabaseError, connections
from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class FaultKind(StrEnum):
    BUSY = "busy"
    DISK_FULL = "disk_full"
    READ_ONLY = "read_only"
    IO_ERROR = "io_error"
    UNAVAILABLE = "unavailable"


# Seconds a client should wait before trying again: a lock is over in a
# moment; a full or read-only disk waits for an operator.
RETRY_AFTER: dict[FaultKind, int] = {
    FaultKind.BUSY: 3,
    FaultKind.DISK_FULL: 60,
    FaultKind.READ_ONLY: 30,
    FaultKind.IO_ERROR: 30,
    FaultKind.UNAVAILABLE: 10,
}

# SQLite's primary result codes (https://sqlite.org/rescode.html).
_SQLITE_CODES: dict[int, FaultKind] = {
    5: FaultKind.BUSY,  # SQLITE_BUSY
    6: FaultKind.BUSY,  # SQLITE_LOCKED
    8: FaultKind.READ_ONLY,  # SQLITE_READONLY
    10: FaultKind.IO_ERROR,  # SQLITE_IOERR
    13: FaultKind.DISK_FULL,  # SQLITE_FULL
    14: FaultKind.UNAVAILABLE,  # SQLITE_CANTOPEN
}
# The same faults by message, for an error that carries no code.
_SQLITE_MESSAGES: tuple[tuple[str, FaultKind], ...] = (
    ("database is locked", FaultKind.BUSY),
    ("database table is locked", FaultKind.BUSY),
    ("attempt to write a readonly database", FaultKind.READ_ONLY),
    ("disk i/o error", FaultKind.IO_ERROR),
    ("database or disk is full", FaultKind.DISK_FULL),
    ("unable to open database file", FaultKind.UNAVAILABLE),
)
# PostgreSQL's SQLSTATEs that say the same (appendix A of its manual).
_SQLSTATES: dict[str, FaultKind] = {
    "53100": FaultKind.DISK_FULL,  # disk_full
    "25006": FaultKind.READ_ONLY,  # read_only_sql_transaction (a standby)
    "55P03": FaultKind.BUSY,  # lock_not_available
    "58030": FaultKind.IO_ERROR,  # io_error
    "53300": FaultKind.BUSY,  # too_many_connections
    "57P01": FaultKind.UNAVAILABLE,  # admin_shutdown
    "57P02": FaultKind.UNAVAILABLE,  # crash_shutdown
    "57P03": FaultKind.UNAVAILABLE,  # cannot_connect_now
    "08000": FaultKind.UNAVAILABLE,  # connection_exception
    "08001": FaultKind.UNAVAILABLE,  # could not establish the connection
    "08003": FaultKind.UNAVAILABLE,  # connection_does_not_exist
    "08006": FaultKind.UNAVAILABLE,  # connection_failure
}
_ERRNOS: dict[int, FaultKind] = {
    errno.ENOSPC: FaultKind.DISK_FULL,
    errno.EDQUOT: FaultKind.DISK_FULL,
    errno.EROFS: FaultKind.READ_ONLY,
    errno.EIO: FaultKind.IO_ERROR,
}


class StorageUnavailable(OndasError):
    """The request could not be stored now; the client may try again later."""

    code = ErrorCode.STORAGE_UNAVAILABLE
    http_status = 503

    def __init__(self, *, kind: FaultKind) -> None:
        retry_after = RETRY_AFTER[kind]
        if kind is FaultKind.BUSY:
            message = _(
                "The service is busy. Nothing was changed; please try again "
                "in a few seconds."
            )
        else:
            message = _(
                "The service cannot save anything right now. Nothing was "
                "changed; please try again in a minute."
            )
        super().__init__(message, kind=str(kind), retry_after=retry_after)
        self.kind = kind
        self.retry_after = retry_after


class StorageBusy(StorageUnavailable):
    code = ErrorCode.STORAGE_BUSY


class StorageFull(StorageUnavailable):
    code = ErrorCode.STORAGE_FULL


class StorageReadOnly(StorageUnavailable):
    code = ErrorCode.STORAGE_READ_ONLY


class StorageIOError(StorageUnavailable):
    code = ErrorCode.STORAGE_IO_ERROR


_ERRORS: dict[FaultKind, type[StorageUnavailable]] = {
    FaultKind.BUSY: StorageBusy,
    FaultKind.DISK_FULL: StorageFull,
    FaultKind.READ_ONLY: StorageReadOnly,
    FaultKind.IO_ERROR: StorageIOError,
    FaultKind.UNAVAILABLE: StorageUnavailable,
}


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from, nearest first.

    Only ``raise ... from``, as Django wraps a driver's error: an error raised
    while another was being handled was not caused by it.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__
    return chain


def _sqlite_kind(exc: sqlite3.Error) -> FaultKind | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _SQLITE_CODES:
        return _SQLITE_CODES[code & 0xFF]
    return _message_kind(str(exc))


def _message_kind(message: str) -> FaultKind | None:
    text = message.lower()
    for fragment, kind in _SQLITE_MESSAGES:
        if fragment in text:
            return kind
    return None


_PSYCOPG_MODULES = ("psycopg", "psycopg2", "psycopg_pool")


def _psycopg_kind(exc: BaseException) -> FaultKind | None:
    # psycopg 3 names it sqlstate, psycopg2 pgcode.
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(state, str):
        return _SQLSTATES.get(state)
    if type(exc).__name__ in ("OperationalError", "PoolTimeout"):
        # psycopg raises its OperationalError without a state when it cannot
        # reach the server or lost it; psycopg_pool its PoolTimeout when no
        # connection came free in time (the server is down, or every one of
        # the pool's connections is busy): try again shortly, either way.
        return FaultKind.UNAVAILABLE
    return None


def fault_kind(exc: BaseException) -> FaultKind | None:
    """The kind of storage fault ``exc`` is, or None for any other error."""
    for item in _causes(exc):
        kind: FaultKind | None = None
        if isinstance(item, sqlite3.Error):
            kind = _sqlite_kind(item)
        elif type(item).__module__.split(".")[0] in _PSYCOPG_MODULES:
            kind = _psycopg_kind(item)
        elif isinstance(item, OSError) and item.errno is not None:
            kind = _ERRNOS.get(item.errno)
        elif isinstance(item, DatabaseError) and item.__cause__ is None:
            # Raised by Django itself, or by a test, with the driver's words.
            kind = _message_kind(str(item))
        if kind is not None:
            return kind
    return None


def storage_fault(exc: BaseException) -> StorageUnavailable | None:
    """``exc`` as the 503 a client gets, or None when it is no storage fault."""
    kind = fault_kind(exc)
    return None if kind is None else _ERRORS[kind](kind=kind)


def connections_drop_faulty() -> int:
    """Close this thread's database connections after a storage fault.

    The next query opens a fresh one, which sees the files as they are now.
    All of them, not only those Django saw fail: the rollback that ended the
    failed transaction resets Django's own error flag ("a successful rollback
    means that the database connection works"), and on SQLite a read-only
    connection rolls back fine. A connection inside ``atomic`` is only
    marked: Django closes it when the request ends (closing it here would
    break the block it is in). Returns how many were closed or marked.
    """
    dropped = 0
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.in_atomic_block:
            conn.close_at = 0.0  # past: closed by close_old_connections
        else:
            conn.close()
        dropped += 1
    return dropped
