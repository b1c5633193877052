"""Prometheus metrics, right across Gunicorn's worker processes.

`ondas serve` sets ``PROMETHEUS_MULTIPROC_DIR`` to a directory of its own
before the app is imported, so prometheus-client keeps every value in a small
memory-mapped file per process and ``/metrics`` (served by whichever worker
gets the scrape) adds them up. Without that variable (tests, `ondas manage`)
the values live in this process only.

Per-process gauges (memory, page faults) carry a ``pid`` label in
multiprocess mode and disappear when `ondas serve` reaps the process;
counters and histograms of a dead worker are kept, so totals never go back.
"""

from __future__ import annotations

import atexit
import os
import resource
import threading
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds between two readings of /proc for the per-process gauges.
PROCESS_SAMPLE_INTERVAL = 1.0
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "ondas_http_requests",
    "HTTP requests answered by the app, by route (URL name) and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "ondas_http_request_duration_seconds",
    "Time from the request reaching Django to its response leaving it "
    "(a file response's bytes are sent after that).",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
AUDIO_BYTES = Counter(
    "ondas_audio_bytes_sent",
    "Audio bytes the app wrote to its clients (sendfile included).",
)
AUDIO_HANDOFFS = Counter(
    "ondas_audio_accel_redirects",
    "Audio requests checked by the app and handed to nginx (X-Accel-Redirect).",
)
STREAMS_OPEN = Gauge(
    "ondas_audio_streams_open",
    "Audio responses whose bytes are being sent right now.",
    multiprocess_mode="livesum",
)
RESIDENT = Gauge(
    "ondas_process_resident_memory_bytes",
    "Resident set size (RSS) of the process; pages shared after fork count "
    "in every process.",
    ["role"],
    multiprocess_mode="liveall",
)
PROPORTIONAL = Gauge(
    "ondas_process_proportional_memory_bytes",
    "Proportional set size (PSS): shared pages divided among their sharers; "
    "the sum over processes is the memory the server really holds.",
    ["role"],
    multiprocess_mode="liveall",
)
PAGE_FAULTS = Gauge(
    "ondas_process_page_faults",
    "Page faults since the process started: minor (no disk read, e.g. "
    "copy-on-write after fork) and major (read from disk).",
    ["role", "kind"],
    multiprocess_mode="liveall",
)
STORAGE_FAULTS = Counter(
    "ondas_storage_fault_responses",
    "Requests answered 503 because the database or the disk could not take "
    "a write (core.faults), by kind: busy, disk_full, read_only, io_error, "
    "unavailable.",
    ["kind"],
)
STORAGE_FREE = Gauge(
    "ondas_storage_free_bytes",
    "Free bytes on the file system of the data directory, at the last "
    "readiness check or scrape.",
    multiprocess_mode="mostrecent",
)
HEARTBEAT_OK = Gauge(
    "ondas_database_heartbeat_ok",
    "1 when the last readiness check or scrape could write its heartbeat row "
    "to the database, else 0.",
    multiprocess_mode="mostrecent",
)

_sample_lock = threading.Lock()
_last_sample = 0.0
_role = "main"


def is_multiprocess() -> bool:
    """Return whether values are shared across processes (under `ondas serve`)."""
    return bool(os.environ.get(MULTIPROC_ENV))


def set_process_role(role: str) -> None:
    """Name this process in the per-process gauges ("arbiter", "worker")."""
    global _role, _last_sample
    _role = role
    _last_sample = 0.0


# How often a process hands what it counted to the values every process shares.
FLUSH_INTERVAL = 0.5


class _Writes:
    """The writes of the request path, added up here and applied in batches.

    In multiprocess mode (``ondas serve``) every write to a value takes one
    lock for the whole process, asks the kernel for the process id and
    writes to a mapped file: an audio range makes six such writes, 6.8 us in
    one thread and, measured under eight threads sending ranges, some 15 to
    20 us of CPU. Here a request only adds to a dictionary (1.6 us in all);
    a thread of the process applies the sums every FLUSH_INTERVAL seconds, as
    does ``metrics_render`` before it reads, and the process when it exits.
    So a scrape may miss another worker's last half second, which the next
    one shows; nothing is lost. Outside multiprocess mode (tests, ``ondas
    manage``) every write is applied at once.
    """

    def __init__(self, *, batched: bool) -> None:
        self.batched = batched
        self._reset()

    def _reset(self) -> None:
        # Also in a forked child: another thread may have held the lock at
        # the fork, and what the parent counted is the parent's to apply.
        self._lock = threading.Lock()
        self._amounts: dict[Any, float] = {}
        self._observed: dict[Any, list[float]] = {}
        self._flusher: threading.Thread | None = None

    def inc(self, value: Any, amount: float = 1.0) -> None:
        """Add ``amount`` to a counter's or a gauge's child (negative: a gauge's)."""
        if not self.batched:
            value.inc(amount)
            return
        with self._lock:
            self._amounts[value] = self._amounts.get(value, 0.0) + amount
        if self._flusher is None:
            self._start()

    def observe(self, histogram: Any, amount: float) -> None:
        if not self.batched:
            histogram.observe(amount)
            return
        with self._lock:
            self._observed.setdefault(histogram, []).append(amount)
        if self._flusher is None:
            self._start()

    def flush(self) -> None:
        """Apply what was added up since the last flush."""
        with self._lock:
            amounts, self._amounts = self._amounts, {}
            observed, self._observed = self._observed, {}
        for value, amount in amounts.items():
            if amount:
                value.inc(amount)
        for histogram, values in observed.items():
            for amount in values:
                histogram.observe(amount)

    def _start(self) -> None:
        with self._lock:
            if self._flusher is not None:
                return
            self._flusher = threading.Thread(
                target=self._run, name="ondas-metrics", daemon=True
            )
        self._flusher.start()

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_INTERVAL)
            self.flush()


_writes = _Writes(batched=is_multiprocess())
os.register_at_fork(after_in_child=_writes._reset)
atexit.register(_writes.flush)


# The children of REQUESTS and LATENCY by (route, method, status): ``labels()``
# looks them up under a lock on every call; they never change once made.
# Routes are URL names and methods and statuses few, so this stays small.
_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
_MAX_CHILDREN = 4096


def request_observe(*, route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    method = method if method in _KNOWN_METHODS else "OTHER"
    key = (route, method, status)
    children = _children.get(key)
    if children is None:
        children = (
            REQUESTS.labels(route=route, method=method, status=str(status)),
            LATENCY.labels(route=route),
        )
        if len(_children) < _MAX_CHILDREN:
            _children[key] = children
    _writes.inc(children[0])
    _writes.observe(children[1], seconds)


def audio_stream_opened() -> None:
    _writes.inc(STREAMS_OPEN)


def audio_stream_closed() -> None:
    _writes.inc(STREAMS_OPEN, -1.0)


def audio_bytes_sent(count: int) -> None:
    if count > 0:
        _writes.inc(AUDIO_BYTES, count)


def audio_handed_to_nginx() -> None:
    _writes.inc(AUDIO_HANDOFFS)


def storage_fault_answered(kind: str) -> None:
    """Count one request answered 503 for a storage fault."""
    _writes.inc(STORAGE_FAULTS.labels(kind=kind))


def storage_observe(*, free_bytes: int | None, heartbeat_ok: bool) -> None:
    """Record what the last storage check found (``ops.health``)."""
    if free_bytes is not None:
        STORAGE_FREE.set(free_bytes)
    HEARTBEAT_OK.set(1 if heartbeat_ok else 0)


def metrics_flush() -> None:
    """Apply this process's pending writes now (``_Writes``)."""
    _writes.flush()


def _proc_stat() -> tuple[int, int, int]:
    """Return (minor faults, major faults, RSS in bytes) of this process."""
    with open("/proc/self/stat", "rb") as fh:
        # The command name may hold spaces and parentheses: split after the last.
        fields = fh.read().rsplit(b")", 1)[1].split()
    # Fields 10, 12 and 24 of proc(5), counted from the state (field 3).
    minor, major, rss_pages = int(fields[7]), int(fields[9]), int(fields[21])
    return minor, major, rss_pages * resource.getpagesize()


def _pss_bytes() -> int | None:
    try:
        with open("/proc/self/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def process_sample(*, force: bool = False) -> None:
    """Refresh this process's memory and page-fault gauges, at most once a second."""
    global _last_sample
    now = time.monotonic()
    if not force and now - _last_sample < PROCESS_SAMPLE_INTERVAL:
        return
    if not _sample_lock.acquire(blocking=False):
        return
    try:
        _last_sample = now
        try:
            minor, major, rss = _proc_stat()
        except OSError:  # no /proc: fall back to what getrusage knows
            usage = resource.getrusage(resource.RUSAGE_SELF)
            minor, major, rss = usage.ru_minflt, usage.ru_majflt, usage.ru_maxrss * 1024
        RESIDENT.labels(role=_role).set(rss)
        PAGE_FAULTS.labels(role=_role, kind="minor").set(minor)
        PAGE_FAULTS.labels(role=_role, kind="major").set(major)
        pss = _pss_bytes()
        if pss is not None:
            PROPORTIONAL.labels(role=_role).set(pss)
    finally:
        _sample_lock.release()


def process_dead(pid: int) -> None:
    """Drop the per-process gauges of a reaped process (called by the arbiter)."""
    if is_multiprocess():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def metrics_render() -> tuple[bytes, str]:
    """Return the exposition text of every process, and its content type."""
    _writes.flush()
    process_sample(force=True)
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
