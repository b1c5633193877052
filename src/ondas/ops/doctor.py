"""`ondas doctor`: what this installation can do, checked rather than assumed."""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import django
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.timezone import now as timezone_now
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from ondas.ops.doctor_cache import cache_state
from ondas.ops.health import MIB, storage_check


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    # Advisory checks say what a faster path would need; a missing one is a
    # warning, not a failure (Ondas works without kTLS or io_uring).
    advisory: bool = False

    @property
    def mark(self) -> str:
        if self.ok:
            return "ok"
        return "warn" if self.advisory else "FAIL"


def check_python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, f"{platform.python_version()} (needs 3.11 or newer)")


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW server_version")
            else:
                cursor.execute("SELECT sqlite_version()")
            row = cursor.fetchone()
        version = row[0] if row else "?"
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return Check("database", False, f"{connection.vendor}: {exc}")
    detail = f"{connection.vendor} {version}"
    if pending:
        return Check(
            "database",
            False,
            f"{detail}; {len(pending)} migration(s) pending: run `ondas manage migrate`",
        )
    return Check("database", True, f"{detail}, migrations applied")


def check_cache() -> Check:
    ok, detail = cache_state()
    return Check("cache", ok, detail)


def check_storage() -> Check:
    """What /readyz checks: free space in the data directory, and a real write."""
    state = storage_check()
    free = "unknown" if state.free_bytes is None else f"{state.free_bytes // MIB} MiB"
    detail = (
        f"{free} free in {settings.DATA_DIR} "
        f"(ONDAS_MIN_FREE_MB={settings.ONDAS_MIN_FREE_MB}); heartbeat write "
        + ("ok" if state.heartbeat_ok else "failed")
    )
    if not state.ok:
        return Check("storage", False, f"{state.problem}; {detail}")
    return Check("storage", True, detail)


def check_media_writable() -> Check:
    root = Path(settings.MEDIA_ROOT)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".doctor-") as fh:
            fh.write(b"ok")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        return Check("media storage", False, f"{root} is not writable: {exc}")
    return Check("media storage", True, f"{root} is writable")


def check_sendfile() -> Check:
    """Send a file over a socket pair with sendfile(2), as Gunicorn will."""
    if not hasattr(os, "sendfile"):
        return Check("sendfile", False, "os.sendfile is missing: audio will be copied")
    payload = b"ondas" * 1000
    left, right = socket.socketpair()
    try:
        with tempfile.TemporaryFile() as fh:
            fh.write(payload)
            fh.flush()
            sent = os.sendfile(left.fileno(), fh.fileno(), 100, 4000)
        received = b""
        while len(received) < sent:
            received += right.recv(65536)
    except OSError as exc:
        return Check("sendfile", False, f"sendfile(2) failed: {exc}")
    finally:
        left.close()
        right.close()
    ok = received == payload[100:4100]
    detail = (
        "zero-copy sendfile(2) works; `ondas serve` (plain HTTP) sends audio with it"
        if ok
        else "sendfile(2) returned the wrong bytes"
    )
    return Check("sendfile", ok, detail)


# Linux's TCP_ULP socket option (include/uapi/linux/tcp.h) and the io_uring_setup
# system call number on x86-64 and arm64 alike.
TCP_ULP = 31
SYS_IO_URING_SETUP = 425
NGINX = "/usr/sbin/nginx"
KTLS_MIN_NGINX = (1, 21, 4)  # first nginx with SSL_sendfile (kTLS)


def check_ktls_kernel() -> Check:
    """Ask the kernel for the "tls" upper-layer protocol on a connected socket."""
    listener = socket.socket()
    client = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client.connect(listener.getsockname())
        client.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            detail = (
                "not available: this kernel has no TLS upper-layer protocol "
                "(CONFIG_TLS off, or `modprobe tls` not done); nginx encrypts in "
                "user space and TLS audio is copied, not sent with sendfile"
            )
        else:
            detail = f"not available: setsockopt(TCP_ULP, 'tls') failed: {exc}"
        return Check("kernel TLS", False, detail, advisory=True)
    finally:
        client.close()
        listener.close()
    return Check(
        "kernel TLS",
        True,
        "available: the kernel can encrypt TLS records, so nginx can sendfile "
        "audio under TLS",
    )


def _nginx_facts(nginx: str) -> tuple[tuple[int, ...], str, bool]:
    """Return nginx's version, its OpenSSL line, and whether it calls SSL_sendfile."""
    shown = subprocess.run(  # noqa: S603 - a fixed path, no shell
        [nginx, "-V"], capture_output=True, text=True, timeout=10, check=False
    ).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", shown)
    version = tuple(int(part) for part in found.groups()) if found else ()
    openssl = re.search(r"running with (OpenSSL [^\s)]+)", shown) or re.search(
        r"built with (OpenSSL [^\s)]+)", shown
    )
    with open(nginx, "rb") as fh:
        calls_sendfile = b"SSL_sendfile" in fh.read()
    return version, openssl.group(1) if openssl else "no OpenSSL", calls_sendfile


def _openssl_has_ktls() -> bool | None:
    """Whether the system's OpenSSL was built with kTLS, or None if unknown.

    The ``openssl`` command offers ``s_server -sendfile`` only in builds with
    kTLS (OPENSSL_NO_KTLS unset); nginx links the same libssl.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    shown = subprocess.run(  # noqa: S603 - a fixed command, no shell
        [openssl, "s_server", "-help"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return "-sendfile" in shown.stdout + shown.stderr


def check_nginx_ktls(nginx: str = NGINX) -> Check:
    """Would nginx use kTLS where the kernel has it (nginx and OpenSSL builds)?"""
    if not os.access(nginx, os.X_OK):
        return Check("nginx kTLS", False, f"{nginx} is not installed", advisory=True)
    try:
        version, openssl, calls_sendfile = _nginx_facts(nginx)
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("nginx kTLS", False, f"cannot run {nginx}: {exc}", advisory=True)
    openssl_ktls = _openssl_has_ktls()
    shown = ".".join(map(str, version)) or "?"
    if version < KTLS_MIN_NGINX or not calls_sendfile:
        return Check(
            "nginx kTLS",
            False,
            f"nginx {shown} with {openssl} cannot use kTLS (needs nginx 1.21.4+ "
            "built against OpenSSL 3 with kTLS)",
            advisory=True,
        )
    if openssl_ktls is False:
        return Check(
            "nginx kTLS",
            False,
            f"nginx {shown} can, but {openssl} was built without kTLS",
            advisory=True,
        )
    known = "" if openssl_ktls else " (OpenSSL's kTLS support not confirmed)"
    return Check(
        "nginx kTLS",
        True,
        f"nginx {shown} with {openssl} will use kTLS wherever the kernel offers "
        f"it (`ssl_conf_command Options KTLS;` is in the rendered site){known}",
    )


def check_io_uring() -> Check:
    """Probe io_uring_setup(2) itself; report the sysctl that may forbid it."""
    disabled = ""
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as fh:
            disabled = fh.read().strip()
    except OSError:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
    fd = libc.syscall(SYS_IO_URING_SETUP, 1, params)
    if fd >= 0:
        os.close(fd)
        return Check(
            "io_uring",
            True,
            "available (io_uring_setup works; kernel.io_uring_disabled="
            f"{disabled or 'absent'}): PostgreSQL 18 can use io_method = io_uring",
        )
    err = ctypes.get_errno()
    reason = {
        errno.ENOSYS: "the kernel has no io_uring",
        errno.EPERM: "forbidden (kernel.io_uring_disabled or a seccomp filter)",
    }.get(err, os.strerror(err))
    return Check(
        "io_uring",
        False,
        f"not available: {reason}; PostgreSQL 18 would need io_method = worker",
        advisory=True,
    )


def check_postgresql_io() -> Check:
    """The PostgreSQL server's version and, on 18+, its asynchronous I/O method."""
    if connection.vendor != "postgresql":
        return Check(
            "postgresql",
            True,
            f"not in use ({connection.vendor}); deploy/postgresql/ has the tuned "
            "configuration for when it is",
        )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            number = int(cursor.fetchone()[0])
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            io_method = ""
            if number >= 180000:
                cursor.execute("SHOW io_method")
                io_method = cursor.fetchone()[0]
    except DatabaseError as exc:
        return Check("postgresql", False, f"cannot ask the server: {exc}")
    if number < 180000:
        return Check(
            "postgresql",
            True,
            f"PostgreSQL {version}: asynchronous I/O (io_method) needs 18 or newer",
        )
    if io_method == "io_uring":
        return Check("postgresql", True, f"PostgreSQL {version}, io_method = io_uring")
    return Check(
        "postgresql",
        False,
        f"PostgreSQL {version}, io_method = {io_method}: "
        "deploy/postgresql/ondas-pg18.conf sets io_uring",
        advisory=True,
    )


# Where Debian's nginx.conf includes sites from.
NGINX_SITE_DIRS = (Path("/etc/nginx/sites-enabled"), Path("/etc/nginx/conf.d"))
# A location naming /metrics whose block denies all (what the rendered site has).
_METRICS_DENIED = re.compile(r"location[^{]*metrics[^{]*\{[^}]*\bdeny\s+all\s*;")


def _nginx_sites_for_ondas(dirs: tuple[Path, ...]) -> list[tuple[Path, str]]:
    """The nginx site files in ``dirs`` that forward requests to `ondas serve`."""
    port = os.environ.get("ONDAS_PORT", "8000")
    marks = ("ondas_app", f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}")
    found = []
    for directory in dirs:
        try:
            files = sorted(p for p in directory.iterdir() if p.is_file())
        except OSError:
            continue
        for path in files:
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if "proxy_pass" in text and any(mark in text for mark in marks):
                found.append((path, text))
    return found


def check_metrics_access(nginx_dirs: tuple[Path, ...] = NGINX_SITE_DIRS) -> Check:
    """Is /metrics kept from strangers: by the token, or by nginx's deny rule?"""
    if settings.ONDAS_METRICS_TOKEN:
        return Check(
            "metrics access",
            True,
            "/metrics answers only `Authorization: Bearer` with ONDAS_METRICS_TOKEN "
            "(404 to anyone else)",
        )
    sites = _nginx_sites_for_ondas(nginx_dirs)
    open_sites = [str(p) for p, text in sites if not _METRICS_DENIED.search(text)]
    if open_sites:
        return Check(
            "metrics access",
            False,
            f"nginx ({', '.join(open_sites)}) passes /metrics to Ondas, which sees "
            "its clients as 127.0.0.1: anyone can read it. Render the site again "
            "with `ondas deploy nginx`, or set ONDAS_METRICS_TOKEN",
        )
    if sites:
        return Check(
            "metrics access",
            True,
            "/metrics answers loopback clients only, and nginx "
            f"({', '.join(str(p) for p, _ in sites)}) denies it to everyone else",
        )
    where = " or ".join(str(d) for d in nginx_dirs)
    return Check(
        "metrics access",
        False,
        "/metrics answers loopback clients only (ONDAS_METRICS_TOKEN unset), and "
        f"no nginx site for Ondas was found in {where}: a proxy on this machine "
        "that forwards to Ondas must deny /metrics, or set ONDAS_METRICS_TOKEN",
        advisory=True,
    )


# A task ready this long and not taken means no `ondas worker` is running.
QUEUE_STALE = timedelta(minutes=10)


def _waiting_since(task: DBTaskResult[..., object]) -> datetime:
    delayed = task.run_after != get_date_max()
    since: datetime = task.run_after if delayed else task.enqueued_at
    return since


def check_task_queue(now: datetime | None = None) -> Check:
    """Does something run the background queue (emails, feed work)?"""
    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return Check(
            "task queue", True, "tasks run inline (ONDAS_TASKS_BACKEND=immediate)"
        )
    now = now or timezone_now()
    try:
        ready = list(DBTaskResult.objects.ready().only("enqueued_at", "run_after"))
        failed = DBTaskResult.objects.filter(
            status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(days=1)
        ).count()
    except DatabaseError as exc:
        return Check("task queue", False, f"cannot read the queue: {exc}")
    failures = f"; {failed} failed in the last day (admin: task results)"
    failures = failures if failed else ""
    if not ready:
        return Check("task queue", True, f"no task waiting{failures}")
    oldest = min(_waiting_since(task) for task in ready)
    waited = now - oldest
    minutes = int(waited.total_seconds() // 60)
    if waited > QUEUE_STALE:
        return Check(
            "task queue",
            False,
            f"{len(ready)} task(s) waiting, the oldest for {minutes} min: is "
            "`ondas worker` running? (systemctl status ondas-worker)" + failures,
            advisory=True,
        )
    return Check(
        "task queue",
        True,
        f"{len(ready)} task(s) waiting, the oldest for {minutes} min{failures}",
    )


def doctor_report() -> list[Check]:
    """Run every check and return the results in display order."""
    return [
        check_python(),
        Check("django", True, django.get_version()),
        check_database(),
        check_storage(),
        check_cache(),
        check_task_queue(),
        check_media_writable(),
        check_sendfile(),
        check_metrics_access(),
        check_ktls_kernel(),
        check_nginx_ktls(),
        check_io_uring(),
        check_postgresql_io(),
    ]
