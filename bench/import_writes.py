"""A big import beside other writers: its time, and how long they wait.

    python bench/import_writes.py [--sizes 10000,50000] [--baseline-src DIR]
                                  [--probe-every 0.05]

For each tree (this one, and ``--baseline-src``'s if given, e.g. ``../main/src``)
and each size, a fresh SQLite data directory (migrated by that tree) gets one
show imported from ``feed_import.py``'s generated feed, served from 127.0.0.1,
by ``feed_source_import`` in a child process. Meanwhile this process plays a
listener saving progress: every ``--probe-every`` seconds it runs one small
write transaction (``BEGIN IMMEDIATE``, one insert, commit) on its own
connection to the same file, with a 600 s busy timeout, and records how long
each took. Printed per run: the import's seconds, the number of probe writes,
their p50, p99 and longest wait, and how many waited over the site's 5 s busy
timeout (each of those was a ``database is locked`` for a real request).

Targets (issue 12, items 6 and 14): no write transaction of the import
holding the lock for 1 s or more (judged), and 50,000 episodes imported in
< 30 s (judged when 50,000 is among the sizes).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = """
import sys, time
sys.path.insert(0, {bench!r})
import django
django.setup()
from django.db.backends.sqlite3.base import DatabaseWrapper
from feed_import import Server, make_feed
from ondas.ingest.services.imports import feed_source_import

# How long each write transaction held the lock: BEGIN IMMEDIATE to COMMIT.
held = []
began_at = []
start = DatabaseWrapper._start_transaction_under_autocommit
commit = DatabaseWrapper._commit
def timed_start(self):
    began_at.append(time.perf_counter())
    return start(self)
def timed_commit(self):
    try:
        return commit(self)
    finally:
        if began_at:
            held.append(time.perf_counter() - began_at.pop())
DatabaseWrapper._start_transaction_under_autocommit = timed_start
DatabaseWrapper._commit = timed_commit

server = Server()
server.body = make_feed({size})
print("READY", flush=True)
sys.stdin.readline()
began = time.perf_counter()
source = feed_source_import(url=server.url("/big.xml"))
print("IMPORT_SECONDS=%.3f" % (time.perf_counter() - began), flush=True)
print("EPISODES=%d" % source.show.episodes.count(), flush=True)
longest = max(range(len(held)), key=held.__getitem__)
print("LONGEST_INDEX=%d" % longest, flush=True)
held.sort()
print("TRANSACTIONS=%d" % len(held), flush=True)
print("HELD_P50_MS=%.1f" % (held[len(held) // 2] * 1000), flush=True)
print("HELD_MAX_MS=%.1f" % (held[-1] * 1000), flush=True)
server.stop()
"""


def _env(src: Path, data: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ONDAS_") and key not in ("DATABASE_URL", "PYTHONPATH")
    }
    env |= {
        "PYTHONPATH": str(src),
        "ONDAS_DATA_DIR": str(data),
        "ONDAS_SECRET_KEY": "bench-not-secret",
        "ONDAS_LOG_LEVEL": "WARNING",
        "ONDAS_TASKS_BACKEND": "immediate",
        "ONDAS_FEEDS_ALLOWED_NETWORKS": "127.0.0.1/32",
        "DJANGO_SETTINGS_MODULE": "ondas.settings",
    }
    return env


def _probe(conn: sqlite3.Connection) -> float:
    """One small write transaction; return the seconds it took."""
    began = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO bench_probe (at) VALUES (?)", (time.time(),))
    conn.execute("COMMIT")
    return time.perf_counter() - began


def run(src: Path, size: int, every: float, root: Path) -> dict[str, float]:
    data = root / f"{src.parent.name}-{size}"
    data.mkdir()
    env = _env(src, data)
    subprocess.run(
        [sys.executable, "-m", "ondas.ops.cli", "manage", "migrate", "-v", "0"],
        env=env,
        check=True,
        timeout=300,
    )
    db = data / "ondas.sqlite3"
    conn = sqlite3.connect(db, timeout=600, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE bench_probe (id INTEGER PRIMARY KEY, at REAL)")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(bench=str(HERE), size=size)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    assert child.stdout.readline().strip() == "READY"
    child.stdin.write("go\n")
    child.stdin.flush()
    waits: list[float] = []
    while child.poll() is None:
        waits.append(_probe(conn))
        time.sleep(every)
    out = child.stdout.read()
    conn.close()
    if child.returncode != 0:
        raise SystemExit(f"import failed in {src}: {out}")
    seconds = float(out.split("IMPORT_SECONDS=")[1].split()[0])
    episodes = int(out.split("EPISODES=")[1].split()[0])

    def figure(name: str) -> float:
        return float(out.split(name + "=")[1].split()[0])

    waits.sort()
    return {
        "import_s": seconds,
        "episodes": episodes,
        "probes": len(waits),
        "p50_ms": statistics.median(waits) * 1000 if waits else 0.0,
        "p99_ms": waits[int(len(waits) * 0.99)] * 1000 if waits else 0.0,
        "max_ms": waits[-1] * 1000 if waits else 0.0,
        "over_5s": sum(1 for w in waits if w > 5.0),
        "transactions": figure("TRANSACTIONS"),
        "held_p50_ms": figure("HELD_P50_MS"),
        "held_max_ms": figure("HELD_MAX_MS"),
        "longest_index": figure("LONGEST_INDEX"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--probe-every", type=float, default=0.05)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    trees = [("this", ROOT / "src")]
    if args.baseline_src is not None:
        trees.append(("baseline", args.baseline_src.resolve()))
    results: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ondas-bench-import-") as tmp:
        for size in sizes:
            for label, src in trees:
                figures = run(src, size, args.probe_every, Path(tmp))
                results[(label, size)] = figures
                print(
                    f"{label:>8} {size:>6} episodes: import {figures['import_s']:6.1f} s,"
                    f" {figures['probes']:.0f} probe writes:"
                    f" p50 {figures['p50_ms']:7.1f} ms, p99 {figures['p99_ms']:7.1f} ms,"
                    f" max {figures['max_ms']:7.1f} ms, over 5 s: {figures['over_5s']:.0f};"
                    f" {figures['transactions']:.0f} write transactions held the lock"
                    f" p50 {figures['held_p50_ms']:.1f} ms, max {figures['held_max_ms']:.1f} ms"
                    f" (transaction {figures['longest_index']:.0f})",
                    flush=True,
                )
    failed = False
    for size in sizes:
        this = results[("this", size)]
        if ("baseline", size) in results:
            base = results[("baseline", size)]
            print(
                f"{size}: import time {this['import_s'] / base['import_s']:.2f}x"
                f" the baseline's; longest write wait {this['max_ms']:.0f} ms"
                f" against {base['max_ms']:.0f} ms"
            )
        failed |= this["held_max_ms"] >= 1000
    if 50_000 in sizes:
        verdict = "PASS" if results[("this", 50_000)]["import_s"] < 30 else "FAIL"
        print(f"50,000 episodes imported in < 30 s: {verdict}")
        failed |= verdict == "FAIL"
    print("longest write transaction < 1 s:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
