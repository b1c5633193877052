"""Which errors are storage faults (503, try again), and which stay 500s."""

from __future__ import annotations

import errno
import sqlite3

import psycopg
import psycopg.errors
import psycopg_pool
import pytest
from django.db import DatabaseError, IntegrityError, OperationalError

from ondas.core.errors import ErrorCode
from ondas.core.faults import (
    RETRY_AFTER,
    FaultKind,
    fault_kind,
    storage_fault,
)


def _wrapped(cause: BaseException) -> OperationalError:
    """``cause`` as Django raises it: its own error, from the driver's."""
    try:
        try:
            raise cause
        except BaseException as exc:
            raise OperationalError(*exc.args) from exc
    except OperationalError as wrapped:
        return wrapped


def _sqlite_error(message: str, code: int | None = None) -> sqlite3.Error:
    error = sqlite3.OperationalError(message)
    if code is not None:
        error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_wrapped(_sqlite_error("database is locked")), FaultKind.BUSY),
        (_wrapped(_sqlite_error("database table is locked")), FaultKind.BUSY),
        (
            _wrapped(_sqlite_error("attempt to write a readonly database")),
            FaultKind.READ_ONLY,
        ),
        (_wrapped(_sqlite_error("disk I/O error")), FaultKind.IO_ERROR),
        (_wrapped(_sqlite_error("database or disk is full")), FaultKind.DISK_FULL),
        # By SQLite's extended result codes, whatever the words.
        (_wrapped(_sqlite_error("x", 5)), FaultKind.BUSY),  # SQLITE_BUSY
        (_wrapped(_sqlite_error("x", 264)), FaultKind.READ_ONLY),  # READONLY_RECOVERY
        (_wrapped(_sqlite_error("x", 13)), FaultKind.DISK_FULL),
        (_wrapped(_sqlite_error("x", 266)), FaultKind.IO_ERROR),  # IOERR_READ
        (OperationalError("database is locked"), FaultKind.BUSY),
        (OSError(errno.ENOSPC, "No space left on device"), FaultKind.DISK_FULL),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), FaultKind.DISK_FULL),
        (OSError(errno.EROFS, "Read-only file system"), FaultKind.READ_ONLY),
        (OSError(errno.EIO, "Input/output error"), FaultKind.IO_ERROR),
        (
            _wrapped(psycopg.errors.DiskFull("could not extend file")),
            FaultKind.DISK_FULL,
        ),
        (
            _wrapped(psycopg.errors.ReadOnlySqlTransaction("read-only")),
            FaultKind.READ_ONLY,
        ),
        (_wrapped(psycopg.errors.AdminShutdown("terminating")), FaultKind.UNAVAILABLE),
        (
            _wrapped(psycopg.errors.CannotConnectNow("starting up")),
            FaultKind.UNAVAILABLE,
        ),
        (
            _wrapped(psycopg.OperationalError("connection refused")),
            FaultKind.UNAVAILABLE,
        ),
        (
            _wrapped(psycopg_pool.PoolTimeout("couldn't get a connection")),
            FaultKind.UNAVAILABLE,
        ),
    ],
)
def test_fault_kind_recognises_storage_faults(
    error: BaseException, kind: FaultKind
) -> None:
    assert fault_kind(error) is kind


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(_sqlite_error("no such table: ops_heartbeat")),
        _wrapped(_sqlite_error('near "SELEC": syntax error', 1)),
        IntegrityError("UNIQUE constraint failed: accounts_user.email"),
        DatabaseError("something else"),
        _wrapped(psycopg.errors.UniqueViolation("duplicate key")),
        OSError(errno.ENOENT, "No such file or directory"),
        OSError(errno.EACCES, "Permission denied"),
        ValueError("database is locked"),  # the words alone, in no storage error
        KeyError("x"),
    ],
)
def test_other_errors_are_no_storage_faults(error: BaseException) -> None:
    assert fault_kind(error) is None
    assert storage_fault(error) is None


def test_storage_fault_is_a_503_with_its_code_and_retry_after() -> None:
    busy = storage_fault(_wrapped(_sqlite_error("database is locked")))
    full = storage_fault(OSError(errno.ENOSPC, "No space left on device"))

    assert busy is not None and full is not None
    assert (busy.http_status, busy.code) == (503, ErrorCode.STORAGE_BUSY)
    assert (full.http_status, full.code) == (503, ErrorCode.STORAGE_FULL)
    assert busy.retry_after == RETRY_AFTER[FaultKind.BUSY] < full.retry_after
    assert busy.as_dict()["data"] == {"kind": "busy", "retry_after": busy.retry_after}


def test_an_error_raised_while_handling_a_fault_is_no_fault() -> None:
    """Only what an error was raised from counts, as Django wraps the driver's."""
    try:
        try:
            raise _wrapped(_sqlite_error("database or disk is full"))
        except OperationalError:
            raise KeyError("a bug in the error handling") from None
    except KeyError as exc:
        assert fault_kind(exc) is None
    try:
        try:
            raise _wrapped(_sqlite_error("database or disk is full"))
        except OperationalError:
            raise RuntimeError("during")  # noqa: B904 - what is tested
    except RuntimeError as exc:
        assert exc.__context__ is not None
        assert fault_kind(exc) is None
