"""What the page benches share: a fresh data directory built by a setup
script, and wrk against pages that need a signed-in person.

``studio_pages.py``, ``numbers_page.py`` and ``search.py`` build their data in
a child process (``setup_run``: Django set up on a fresh SQLite directory,
printing ``NAME=value`` lines) and measure with wrk under ``ondas serve``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audio_ranges import WRK, _ondas_env, _parse_wrk  # noqa: E402 - the harness
from big_show import _ms  # noqa: E402


def page_env(tmp: Path) -> dict[str, str]:
    """The environment of a page bench's setup and server, its data under ``tmp``."""
    env = _ondas_env(tmp) | {
        "ONDAS_TASKS_BACKEND": "immediate",
        "ONDAS_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "ondas.settings",
    }
    (tmp / "ondas-data").mkdir(exist_ok=True)
    return env


def setup_run(code: str, env: dict[str, str], *, timeout: int) -> dict[str, str] | None:
    """Run the setup ``code``; return the ``NAME=value`` it printed, or None
    (its errors printed) when it failed."""
    made = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if made.returncode:
        print(made.stderr, file=sys.stderr)
        return None
    return dict(line.split("=", 1) for line in made.stdout.split() if "=" in line)


def measure(
    url: str, seconds: int, connections: int, *headers: str
) -> tuple[float, float, float, int]:
    """Requests/s, p50 and p99 in ms, and answers that were not 2xx/3xx, of
    wrk sending ``headers`` ("Name: value") with every request."""
    argv = [WRK, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    argv += ["--latency", "--timeout", "10s"]
    for header in headers:
        argv += ["-H", header]
    done = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    result = _parse_wrk(done.stdout)
    return (
        result.requests_per_second,
        _ms(result.latency_p50),
        _ms(result.latency_p99),
        result.non_2xx,
    )


def measure_signed_in(
    url: str, seconds: int, connections: int, cookie: str
) -> tuple[float, float, float, int]:
    """``measure`` for someone signed in: wrk sends ``cookie``."""
    return measure(url, seconds, connections, f"Cookie: {cookie}")
