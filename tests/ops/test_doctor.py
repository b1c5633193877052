"""`ondas doctor`'s probes of the fast paths: kTLS, nginx, io_uring, PostgreSQL."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ondas.ops import doctor
from ondas.ops.cli import main
from ondas.ops.doctor import (
    check_io_uring,
    check_ktls_kernel,
    check_nginx_ktls,
    check_postgresql_io,
)

_REAL_SOCKET = socket.socket


class _NoTlsSocket:
    """A socket whose kernel knows no "tls" upper-layer protocol."""

    def __init__(self, *args: object) -> None:
        self._real = _REAL_SOCKET(*args)  # type: ignore[call-overload]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def setsockopt(self, level: int, option: int, value: object) -> None:
        if option == doctor.TCP_ULP:
            raise OSError(errno.ENOENT, "No such file or directory")
        self._real.setsockopt(level, option, value)


def test_ktls_probe_here_matches_the_kernel() -> None:
    """This machine's kernel is built without CONFIG_TLS (shared/NOTES.md)."""
    check = check_ktls_kernel()
    if check.ok:
        assert check.detail.startswith("available")
    else:
        assert check.advisory is True and check.mark == "warn"
        assert "CONFIG_TLS" in check.detail


def test_ktls_missing_is_a_warning_that_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(doctor.socket, "socket", _NoTlsSocket)
    check = check_ktls_kernel()
    assert (check.ok, check.advisory, check.mark) == (False, True, "warn")
    assert "CONFIG_TLS off, or `modprobe tls` not done" in check.detail
    assert "copied, not sent with sendfile" in check.detail


def test_nginx_ktls_reads_debians_nginx() -> None:
    check = check_nginx_ktls()
    assert check.ok is True, check.detail
    assert check.detail.startswith("nginx 1.")
    assert "OpenSSL 3." in check.detail
    assert "ssl_conf_command Options KTLS;" in check.detail


def test_nginx_ktls_without_nginx_or_with_old_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = check_nginx_ktls("/nonexistent/nginx")
    assert (missing.ok, missing.mark) == (False, "warn")
    assert "is not installed" in missing.detail

    monkeypatch.setattr(
        doctor, "_nginx_facts", lambda nginx: ((1, 18, 0), "OpenSSL 1.1.1", False)
    )
    old = check_nginx_ktls()
    assert old.ok is False and "needs nginx 1.21.4+" in old.detail

    monkeypatch.setattr(
        doctor, "_nginx_facts", lambda nginx: ((1, 24, 0), "OpenSSL 3.0.2", True)
    )
    monkeypatch.setattr(doctor, "_openssl_has_ktls", lambda: False)
    no_ktls = check_nginx_ktls()
    assert no_ktls.ok is False
    assert (
        no_ktls.detail == "nginx 1.24.0 can, but OpenSSL 3.0.2 was built without kTLS"
    )


def test_io_uring_probe_here_and_when_the_kernel_says_no(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = check_io_uring()
    assert here.ok is True, here.detail  # shared/NOTES.md: io_uring is available
    assert "io_uring_setup works" in here.detail

    class Refusing:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def syscall(self, *args: object) -> int:
            return -1

    monkeypatch.setattr(doctor.ctypes, "CDLL", Refusing)
    for number, reason in ((errno.ENOSYS, "no io_uring"), (errno.EPERM, "forbidden")):
        monkeypatch.setattr(doctor.ctypes, "get_errno", lambda number=number: number)
        check = check_io_uring()
        assert (check.ok, check.mark) == (False, "warn")
        assert reason in check.detail and "io_method = worker" in check.detail


class _FakeConnection:
    """Answers SHOW like a PostgreSQL server of the given version would."""

    vendor = "postgresql"

    def __init__(self, version: str, number: int, io_method: str = "") -> None:
        self.answers = {
            "SHOW server_version_num": str(number),
            "SHOW server_version": version,
            "SHOW io_method": io_method,
        }
        self.last = ""

    @contextmanager
    def cursor(self) -> Iterator[_FakeConnection]:
        yield self

    def execute(self, sql: str) -> None:
        self.last = sql

    def fetchone(self) -> tuple[str]:
        return (self.answers[self.last],)


@pytest.mark.parametrize(
    ("server", "ok", "advisory", "detail"),
    [
        (
            ("15.14", 150014),
            True,
            False,
            "PostgreSQL 15.14: asynchronous I/O (io_method) needs 18 or newer",
        ),
        (
            ("18.1", 180001, "io_uring"),
            True,
            False,
            "PostgreSQL 18.1, io_method = io_uring",
        ),
        (
            ("18.1", 180001, "worker"),
            False,
            True,
            "PostgreSQL 18.1, io_method = worker: deploy/postgresql/ondas-pg18.conf "
            "sets io_uring",
        ),
    ],
)
def test_postgresql_version_and_io_method(
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[Any, ...],
    ok: bool,
    advisory: bool,
    detail: str,
) -> None:
    monkeypatch.setattr(doctor, "connection", _FakeConnection(*server))
    check = check_postgresql_io()
    assert (check.ok, check.advisory, check.detail) == (ok, advisory, detail)


@pytest.mark.django_db
def test_postgresql_check_on_the_database_in_use() -> None:
    check = check_postgresql_io()
    assert check.ok is True
    from django.db import connection

    if connection.vendor == "postgresql":
        assert check.detail.startswith("PostgreSQL ")
    else:
        assert check.detail.startswith("not in use (sqlite)")


@pytest.mark.django_db
def test_doctor_warnings_do_not_fail_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(doctor.socket, "socket", _NoTlsSocket)
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "warn kernel TLS" in out
    for name in ("nginx kTLS", "io_uring", "postgresql"):
        assert name in out
