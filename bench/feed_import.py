"""Import and refresh generated feeds of 1,000 and 5,000 episodes.

    python bench/feed_import.py [--sizes 1000,5000]

For each size: serves a generated RSS feed (iTunes tags, Podlove chapters on
every third item, clock times in every description) from a throwaway HTTP
server on 127.0.0.1, then times, in a fresh SQLite database under a temporary
directory:

- fetch + parse alone (the baseline of the ratios, measured in the same run);
- ``ondas feeds import`` (fetch, parse, create show, episodes, chapters);
- a refresh where nothing changed (content digest equal: no writes);
- a refresh where 1 % of the items changed;
- rendering the show's public feed, cold and then from the cache.

Prints wall and CPU seconds (the box is shared: CPU is the steadier figure)
and each wall time as a ratio of fetch + parse. With 50,000 among the sizes,
prints PASS or FAIL for the import against 30 s of CPU (issue 12, item 6).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar
from xml.sax.saxutils import escape

T = TypeVar("T")

# Issue 12, item 6: a 50,000-episode feed imports in under 30 s of CPU.
TARGET_SIZE = 50_000
TARGET_SECONDS = 30.0


def make_feed(count: int, *, changed: int = 0) -> bytes:
    start = datetime(2010, 1, 4, 9, 0, tzinfo=UTC)
    items = []
    for n in reversed(range(count)):
        title = f"Episode {n}" + (" (edited)" if n < changed else "")
        chapters = ""
        if n % 3 == 0:
            chapters = (
                '<psc:chapters version="1.2">'
                '<psc:chapter start="00:00:00" title="Intro"/>'
                '<psc:chapter start="00:05:00.500" title="News"/>'
                '<psc:chapter start="00:20:00" title="Interview"/></psc:chapters>'
            )
        description = escape(
            f"<p>Notes for episode {n}. 0:00 Intro 4:00 Topic one 12:30 Topic two"
            f" 25:00 Questions 38:10 Summary</p>"
        )
        items.append(
            f"<item><title>{escape(title)}</title>"
            f'<guid isPermaLink="false">bench-{n}</guid>'
            f"<pubDate>{format_datetime(start + timedelta(days=n))}</pubDate>"
            f"<description>{description}</description>"
            f'<enclosure url="https://cdn.example.com/{n}.mp3" length="{40_000_000 + n}"'
            ' type="audio/mpeg"/>'
            f"<itunes:duration>{2700 + n % 600}</itunes:duration>"
            f"<itunes:episode>{n + 1}</itunes:episode>{chapters}</item>"
        )
    newest = format_datetime(start + timedelta(days=count))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        ' xmlns:psc="http://podlove.org/simple-chapters"><channel>'
        f"<title>Bench {count}</title><link>https://bench.example.com/</link>"
        "<description>Generated.</description><language>en</language>"
        f"<lastBuildDate>{newest}</lastBuildDate>"
        "<itunes:author>Bench</itunes:author>"
        '<itunes:category text="Technology"/>' + "".join(items) + "</channel></rss>"
    ).encode()


class Server:
    def __init__(self) -> None:
        self.body = b""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def timed(
    label: str, baseline: float | None, fn: Callable[[], T]
) -> tuple[float, float, T]:
    """Run ``fn``; print its wall and CPU seconds (this process's) and its
    wall time as a ratio of ``baseline``; return wall, CPU and the result."""
    began, cpu_began = time.perf_counter(), time.process_time()
    result = fn()
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    ratio = f"  ×{seconds / baseline:6.1f} of fetch+parse" if baseline else ""
    print(f"  {label:<34} {seconds:8.3f} s wall {cpu:8.3f} s CPU{ratio}")
    return seconds, cpu, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    scratch = tempfile.TemporaryDirectory(prefix="ondas-bench-feeds-")
    os.environ.update(
        {
            "ONDAS_DATA_DIR": scratch.name,
            "ONDAS_SECRET_KEY": "bench-only",
            "ONDAS_TASKS_BACKEND": "immediate",
            "ONDAS_FEEDS_ALLOWED_NETWORKS": "127.0.0.1/32",
            "ONDAS_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "ondas.settings",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from ondas.ingest.fetch import fetch_url
    from ondas.ingest.parse import feed_parse
    from ondas.ingest.services.imports import feed_source_import
    from ondas.ingest.services.refresh import feed_source_refresh

    call_command("migrate", verbosity=0)
    server = Server()
    client = Client(HTTP_HOST="127.0.0.1")
    try:
        for size in sizes:
            server.body = make_feed(size)
            url = server.url(f"/bench-{size}.xml")
            print(f"{size} episodes, feed of {len(server.body) / 1e6:.1f} MB")
            baseline, _cpu, _ = timed(
                "fetch + parse (baseline)",
                None,
                lambda url=url: feed_parse(fetch_url(url).body, url=url),
            )
            _, import_cpu, source = timed(
                "import", baseline, lambda url=url: feed_source_import(url=url)
            )
            if size >= TARGET_SIZE:
                verdict = "PASS" if import_cpu < TARGET_SECONDS else "FAIL"
                print(
                    f"  {verdict}: import of {size:,} took {import_cpu:.1f} s of CPU"
                    f" (target < {TARGET_SECONDS:.0f} s at {TARGET_SIZE:,})"
                )
            _, _, row = timed(
                "refresh, nothing changed",
                baseline,
                lambda s=source: feed_source_refresh(source=s),
            )
            assert row.outcome == "unchanged", row.outcome
            server.body = make_feed(size, changed=size // 100)
            _, _, row = timed(
                "refresh, 1 % of items changed",
                baseline,
                lambda s=source: feed_source_refresh(source=s),
            )
            assert row.updated == size // 100, row.updated
            feed_path = f"/shows/{source.show.slug}/feed.xml"
            _, _, response = timed(
                "public feed, cold", baseline, lambda p=feed_path: client.get(p)
            )
            timed("public feed, cached", baseline, lambda p=feed_path: client.get(p))
            body = (
                b"".join(response.streaming_content)
                if response.streaming
                else response.content
            )
            print(
                f"  public feed: {len(body) / 1e6:.1f} MB,"
                f" status {response.status_code}"
            )
    finally:
        server.stop()
        scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
