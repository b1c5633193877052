"""The studio's two busiest pages in process: CPU and queries per request.

    python bench/studio_cpu.py [--shows 5] [--episodes 1000] [--looks 200]
                               [--profile dashboard|episodes]

Builds the data of ``studio_pages.py`` (one creator, ``--shows`` shows of
``--episodes`` episodes) in a fresh SQLite directory, then, in one process
with ``django.test.Client`` signed in as the creator, asks ``/healthz`` (the
baseline of the same run), the dashboard and the first page of one show's
episodes ``--looks`` times each after one warm-up look. Printed per page: CPU
(user + system of this process) per request, its ratio to ``/healthz``'s, and
the queries of one warm look. ``--profile`` prints cProfile's top functions of
that page (BENCH_SORT=tottime to sort them by their own time). No server, no wrk: this moves little when
the box is loaded, unlike the latencies of ``studio_pages.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_runs import page_env, setup_run  # noqa: E402
from studio_pages import SETUP  # noqa: E402


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _count(seen, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
    seen.append(sql)
    return execute(sql, params, many, context)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shows", type=int, default=5)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--looks", type=int, default=200)
    parser.add_argument("--profile", choices=["dashboard", "episodes"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ondas-bench-studio-cpu-"))
    env = page_env(tmp)
    printed = setup_run(
        SETUP.format(shows=args.shows, episodes=args.episodes), env, timeout=900
    )
    if printed is None:
        return 2
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    name, value = printed["COOKIE"].split("=", 1)
    client = Client(SERVER_NAME="localhost")
    client.cookies[name] = value
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    pages = {
        "/healthz": "/healthz",
        "dashboard": "/studio/",
        "episodes": f"/studio/shows/{printed['SHOW']}/episodes/",
    }
    print(f"{args.shows} shows × {args.episodes} episodes, {args.looks} looks each")
    base = 0.0
    for label, path in pages.items():
        first = client.get(path)
        if first.status_code != 200:
            print(f"{label}: {path} answered {first.status_code}", file=sys.stderr)
            return 2
        queries: list[str] = []
        with connection.execute_wrapper(partial(_count, queries)):
            client.get(path)
        if args.profile == label:
            profile = cProfile.Profile()
            profile.enable()
        start, wall = _cpu(), time.perf_counter()
        for _ in range(args.looks):
            client.get(path)
        cpu = (_cpu() - start) / args.looks * 1000
        wall = (time.perf_counter() - wall) / args.looks * 1000
        if args.profile == label:
            profile.disable()
            pstats.Stats(profile).sort_stats(
                os.environ.get("BENCH_SORT", "cumulative")
            ).print_stats(35)
        base = base or cpu
        print(
            f"  {label:10} CPU {cpu:6.2f} ms/request ({cpu / base:5.1f}× /healthz)"
            f"  wall {wall:6.2f} ms  {len(queries)} queries per warm look"
        )
    subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
