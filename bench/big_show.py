"""A big show under `ondas serve`: the 304, the full feed, the page, memory.

    python bench/big_show.py [--sizes 100,1000,5000] [--seconds 3]
                             [--connections 20] [--keep]

For each size, a fresh SQLite data directory gets one show imported from a
generated feed (``bench/feed_import.py``'s, served from 127.0.0.1), then
`ondas serve --workers 2` runs on it and wrk measures, against baselines of
the same run:

- the feed's 304 (``If-None-Match`` with its ETag) against ``/healthz``
  (target ≥ 0.5×, and the same at every size);
- the full feed (no gzip) against nginx sending the very file Ondas wrote
  (target ≥ 0.5×), and gzip-compressed for the record;
- the show page's p50 at one connection against ``/healthz``'s p50 at one
  connection (target ≤ 5×);
- PSS of the server (arbiter + workers) after that load; the ratio to the
  first size is printed (target ≤ 1.3× at 5,000 against 100).

Import time is printed too (item 6: < 30 s at 50,000).
"""

from __future__ import annotations

import argparse
import http.client
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audio_ranges import (  # noqa: E402 - the harness this builds on
    NGINX,
    NGINX_CONF,
    ONDAS,
    WRK,
    _free_port,
    _ondas_env,
    _parse_wrk,
    _running,
)
from production import _memory  # noqa: E402

IMPORT = """
import sys, time
sys.path.insert(0, {bench!r})
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from feed_import import Server, make_feed
from ondas.ingest.services.imports import feed_source_import
server = Server()
server.body = make_feed({size})
began = time.perf_counter()
source = feed_source_import(url=server.url("/big.xml"))
print("IMPORT_SECONDS=%.3f" % (time.perf_counter() - began))
print("SLUG=" + source.show.slug)
server.stop()
"""


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(
    url: str, tmp: Path, seconds: int, connections: int, *headers: str
) -> tuple[float, float, int]:
    """Requests/s, p50 in ms, and non-2xx/3xx answers."""
    argv = [WRK, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    argv += ["--latency", "--timeout", "10s"]
    for header in headers:
        argv += ["-H", header]
    done = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    result = _parse_wrk(done.stdout)
    return result.requests_per_second, _ms(result.latency_p50), result.non_2xx


def _get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()


def run_size(size: int, args: argparse.Namespace, root: Path) -> dict[str, float]:
    tmp = root / f"size-{size}"
    tmp.mkdir()
    env = _ondas_env(tmp)
    env |= {
        "ONDAS_TASKS_BACKEND": "immediate",
        "ONDAS_FEEDS_ALLOWED_NETWORKS": "127.0.0.1/32",
        "ONDAS_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "ondas.settings",
    }
    (tmp / "ondas-data").mkdir()
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            IMPORT.format(bench=str(Path(__file__).parent), size=size),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    imported = float(made.stdout.split("IMPORT_SECONDS=")[1].split()[0])
    slug = made.stdout.split("SLUG=")[1].split()[0]
    figures = {"import_s": imported}
    print(f"{size} episodes: import {imported:.1f} s")
    with ExitStack() as stack:
        port = _free_port()
        argv = [
            ONDAS,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ]
        server = stack.enter_context(
            _running(argv, env=env, port=port, log=tmp / "serve.out")
        )
        base = f"http://127.0.0.1:{port}"
        feed = f"/shows/{slug}/feed.xml"
        page = f"/shows/{slug}/"
        status, headers, body = _get(port, feed)
        assert status == 200, status
        etag = headers["ETag"]
        # nginx sends the file Ondas wrote, from disk.
        written = next((tmp / "ondas-media" / "feeds").rglob("public-*.xml"))
        assert written.read_bytes() == body
        www = tmp / "www"
        www.mkdir()
        (www / "feed.xml").write_bytes(body)
        for path in (tmp, www, www / "feed.xml"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        nginx_port = _free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=nginx_port))
        nginx_argv = [
            NGINX,
            "-p",
            str(tmp),
            "-e",
            str(tmp / "nginx-error.log"),
            "-c",
            str(conf),
        ]
        stack.enter_context(
            _running(nginx_argv, env=None, port=nginx_port, log=tmp / "nginx.out")
        )
        assert _get(port, page)[0] == 200
        assert _get(port, feed, {"If-None-Match": etag})[0] == 304
        s, c = args.seconds, args.connections
        health, _, _ = _wrk(base + "/healthz", tmp, s, c)
        not_modified, _, bad = _wrk(base + feed, tmp, s, c, f"If-None-Match: {etag}")
        full, _, _ = _wrk(base + feed, tmp, s, c)
        packed, _, _ = _wrk(base + feed, tmp, s, c, "Accept-Encoding: gzip")
        nginx, _, nginx_bad = _wrk(f"http://127.0.0.1:{nginx_port}/feed.xml", tmp, s, c)
        assert not nginx_bad, "nginx did not send the feed"
        _, health_p50, _ = _wrk(base + "/healthz", tmp, s, 1)
        _, page_p50, _ = _wrk(base + page, tmp, s, 1)
        pss, rss, procs = _memory(server.pid)
        figures |= {
            "healthz": health,
            "304": not_modified,
            "full": full,
            "nginx": nginx,
            "page_p50": page_p50,
            "healthz_p50": health_p50,
            "pss": pss / 2**20,
        }
        print(f"  feed {len(body) / 1e6:.2f} MB")
        print(
            f"  /healthz {health:8.0f} req/s; 304 {not_modified:8.0f} req/s"
            f"  = {not_modified / health:.2f}× /healthz (target ≥ 0.5){' NON-304!' if bad else ''}"
        )
        print(
            f"  full feed {full:8.0f} req/s; nginx {nginx:8.0f} req/s"
            f"  = {full / nginx:.2f}× nginx (target ≥ 0.5); gzip {packed:.0f} req/s"
        )
        print(
            f"  page p50 {page_p50:.2f} ms; /healthz p50 {health_p50:.2f} ms"
            f"  = {page_p50 / health_p50:.1f}× (target ≤ 5)"
        )
        print(
            f"  PSS {pss / 2**20:.0f} MiB (RSS {rss / 2**20:.0f} MiB, {procs} processes)"
        )
        time.sleep(0)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="ondas-bench-big-"))
    root.chmod(0o755)  # nginx's workers (nobody) read the copy of the feed
    results = {size: run_size(size, args, root) for size in sizes}
    first = results[sizes[0]]
    print("\nAgainst the smallest show:")
    for size in sizes[1:]:
        r = results[size]
        print(
            f"  {size}: 304 {r['304'] / first['304']:.2f}×, page p50"
            f" {r['page_p50'] / first['page_p50']:.2f}×, PSS {r['pss'] / first['pss']:.2f}×"
            " (targets: 304 and page ≈ 1×, PSS ≤ 1.3×)"
        )
    if not args.keep:
        subprocess.run(["rm", "-rf", str(root)], check=False)
    else:
        print(f"kept {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
