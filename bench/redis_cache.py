"""The show page with the cache in Redis, and with that Redis dead or stuck.

    .venv/bin/python bench/redis_cache.py [--seconds 8] [--connections 16]

One `ondas serve` (2 workers, 4 threads) on a fresh SQLite site with one
show, wrk on its show page, in one run:

- **per process**: no ``ONDAS_CACHE_URL`` (Django's local-memory cache): the
  baseline;
- **redis**: a throwaway Debian ``redis-server`` shared through
  ``ONDAS_CACHE_URL``;
- **redis killed**: the same, killed with -9 after the warm-up (every cache
  read a miss: the page is rendered each time);
- **redis stuck**: stopped with SIGSTOP (its port open, nothing answering):
  a command waits for ``ONDAS_CACHE_TIMEOUT_MS`` (250) before the process
  rests for ``ONDAS_CACHE_RETRY_SECONDS`` (here 2, so that the run sees
  several tries).

Prints requests/s, p50 and p99 for each and the ratio of requests/s to the
baseline. wrk counts any answer that is not 2xx; the bench fails on one.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.support.redis_server import RedisServer, redis_server  # noqa: E402
from tests.support.servers import (  # noqa: E402
    ONDAS,
    Site,
    get,
    ondas_serve,
    temporary_site,
)

from audio_ranges import WRK, _parse_wrk  # noqa: E402 - the harness
from big_show import _ms  # noqa: E402

SHOW = """
import datetime
from ondas.catalog.models import AudioFile
from ondas.catalog.services import episode_create, show_create
show = show_create(title="Banco de Redis", author="Ondas", language="es")
for n in range(30):
    episode_create(show=show, guid="b-%d" % n, title="Episodio %d" % n,
                   published_at=datetime.datetime(2025, 1, 1, n % 24,
                                                  tzinfo=datetime.UTC),
                   audio=AudioFile.objects.get(pk={audio_id}))
print("SLUG=" + show.slug)
"""


def _show(site: Site) -> str:
    done = subprocess.run(
        [ONDAS, "manage", "shell", "-c", SHOW.format(audio_id=site.audio_id)],
        env=site.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.split("SLUG=", 1)[1].strip()


def _measure(
    site: Site,
    path: str,
    env: dict[str, str],
    args: argparse.Namespace,
    before: Callable[[], None] = lambda: None,
) -> tuple[float, float, float]:
    with ondas_serve(site, workers=2, threads=4, env=env, name="bench") as served:
        for _ in range(20):  # warm: code, templates, the cache
            response, _ = get(served.port, path)
            assert response.status == 200, response.status
        before()
        argv = [WRK, "-t2", f"-c{args.connections}", f"-d{args.seconds}s"]
        argv += [
            "--latency",
            "--timeout",
            "10s",
            f"http://127.0.0.1:{served.port}{path}",
        ]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=args.seconds + 60, check=True
        )
    result = _parse_wrk(done.stdout)
    if result.non_2xx or result.requests == 0:
        raise RuntimeError(
            f"{result.non_2xx} answers were not 2xx:\n{done.stdout}\n"
            + served.log_text()[-3000:]
        )
    return result.requests_per_second, _ms(result.latency_p50), _ms(result.latency_p99)


def _then(
    action: Callable[[RedisServer], None] | None, redis: RedisServer
) -> Callable[[], None]:
    return (lambda: action(redis)) if action else (lambda: None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    rows: list[tuple[str, tuple[float, float, float]]] = []
    with temporary_site(size=64 * 1024) as site:
        path = f"/shows/{_show(site)}/"
        rows.append(("per process", _measure(site, path, {}, args)))
        for name, action in (
            ("redis", None),
            ("redis killed", RedisServer.kill),
            ("redis stuck", RedisServer.pause),
        ):
            with redis_server() as redis:
                env = {"ONDAS_CACHE_URL": redis.url, "ONDAS_CACHE_RETRY_SECONDS": "2"}
                rows.append(
                    (name, _measure(site, path, env, args, _then(action, redis)))
                )
            time.sleep(0.5)

    base = rows[0][1][0]
    print(f"show page, {args.connections} connections, {args.seconds} s each")
    print(f"{'cache':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}")
    for name, (rps, p50, p99) in rows:
        print(f"{name:<14}{rps:>9.1f}{p50:>9.1f}{p99:>9.1f}{rps / base:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
