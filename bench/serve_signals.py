"""SIGTERM and SIGHUP near a reload of `ondas serve`: lost signals, this code vs a baseline.

    python bench/serve_signals.py --baseline-src /work/main/src [--trials 10]

Runs the same trials against the Ondas source tree under test (this
checkout's ``src``) and against ``--baseline-src`` (another checkout, say
main before the fix), idle, one `ondas serve --workers 2` per trial:

- **stop**: SIGHUP with new code on disk, SIGTERM a moment later (spread
  evenly over 0 to 1.2x a reload). Lost when ``/readyz`` is still 200
  100 ms after the TERM; late when the server is still running at the
  graceful timeout (5 s) plus 2 s.
- **hups**: three SIGHUPs 0.3 s apart, each with a newer version on disk.
  Counts the re-executions, and whether the server ends on the last version.

Prints the counts for both and the ratio of lost stops (baseline/this).
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.serve_load import probe_env, wait_for_new_workers  # noqa: E402
from tests.support.servers import Site, get, ondas_serve, temporary_site  # noqa: E402

GRACEFUL = 5


def _ready_after(port: int, seconds: float) -> int | str:
    time.sleep(seconds)
    try:
        response, _body = get(port, "/readyz", timeout=1)
    except OSError:
        return "refused"
    return response.status


def stop_trials(site: Site, trials: int, reload_takes: float) -> tuple[int, int]:
    lost = late = 0
    args = ("--graceful-timeout", str(GRACEFUL))
    for trial in range(trials):
        delay = 1.2 * reload_takes * trial / max(1, trials - 1)
        with ondas_serve(site, env=probe_env(site, f"s{trial}"), args=args) as s:
            probe_env(site, f"s{trial}-new")
            s.proc.send_signal(signal.SIGHUP)
            time.sleep(delay)
            s.proc.send_signal(signal.SIGTERM)
            status = _ready_after(s.port, 0.1)
            lost += status == 200
            deadline = time.monotonic() + GRACEFUL + 2
            while s.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            late += s.proc.poll() is None
            print(f"  TERM {delay:.2f} s after HUP: /readyz {status}", flush=True)
    return lost, late


def hup_trial(site: Site) -> tuple[int, bool]:
    with ondas_serve(site, env=probe_env(site, "h0")) as s:
        for version in (1, 2, 3):
            probe_env(site, f"h{version}")
            s.proc.send_signal(signal.SIGHUP)
            time.sleep(0.3)
        deadline = time.monotonic() + 20
        body = b""
        while time.monotonic() < deadline and body != b"h3":
            time.sleep(0.2)
            _response, body = get(s.port, "/probe")
        reloads = s.log_text().count("Re-executing with the new code")
    return reloads, body == b"h3"


def reload_time(site: Site) -> float:
    with ondas_serve(site, env=probe_env(site, "m0")) as s:
        workers = s.workers()
        began = time.monotonic()
        probe_env(site, "m1")
        s.proc.send_signal(signal.SIGHUP)
        wait_for_new_workers(s.pid, workers, 2, timeout=30)
        return time.monotonic() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-src", required=True, type=Path)
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    this_src = Path(__file__).resolve().parents[1] / "src"
    results = {}
    with temporary_site(size=256 * 1024) as site:
        for name, src in (("baseline", args.baseline_src), ("this", this_src)):
            tree = dataclasses.replace(site, env=site.env | {"PYTHONPATH": str(src)})
            print(f"{name}: {src}", flush=True)
            takes = reload_time(tree)
            lost, late = stop_trials(tree, args.trials, takes)
            reloads, latest = hup_trial(tree)
            results[name] = (lost, late, reloads, latest)
            print(
                f"{name}: reload {takes:.2f} s; TERM lost {lost}/{args.trials}, "
                f"not stopped at graceful+2 s {late}/{args.trials}; "
                f"3 HUPs -> {reloads} reloads, ends on the last code: {latest}",
                flush=True,
            )
    base, this = results["baseline"][0], results["this"][0]
    print(f"lost TERMs baseline/this: {base}/{this}")
    return 0 if this == 0 and results["this"][3] else 1


if __name__ == "__main__":
    sys.exit(main())
