"""1 MiB Range requests: `ondas serve` against bare Gunicorn and nginx.

    python bench/audio_ranges.py [--seconds 10] [--connections 50] [--threads 8]
                                 [--rounds 1] [--access free|exclusive] [--keep]

Builds a ~20 MB MP3 with Ondas's own encoder and serves it from Debian's nginx
(sendfile on, a throwaway config on 127.0.0.1), from bare Gunicorn (no Django,
``bench/bare_gunicorn.py``) and from two `ondas serve` (2 workers, gthread,
through ``/audio/<id>.mp3``): one with the lean audio path (the default,
``ONDAS_LEAN_AUDIO=1``) and one with every request through the full middleware
stack (``ONDAS_LEAN_AUDIO=0``). Each must answer a range with 206 and the
exact bytes; then wrk drives each in turn: N connections asking for random
1 MiB-aligned ranges. Prints requests/s and the server's CPU time per request
for each, and the ratios of the same run: lean / bare Gunicorn (judged
against 0.85, ``TARGETS.md``), full / bare Gunicorn, lean / full and each
against nginx. ``--access exclusive`` serves an exclusive episode to a
signed-in subscriber (wrk sends the session cookie) instead of free audio to
anyone. ``--threads 4,8,16`` runs one pair of `ondas serve` per thread count
and takes the best lean one; ``--rounds 3`` interleaves the servers three
times and reports the median round. Everything (processes, files) is cleaned
up on exit.

The machine has 2 cores and wrk runs on them too: requests/s are a ratio
measured in one run on one box, not capacity; CPU per request moves less when
something else is busy.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

NGINX = "/usr/sbin/nginx"
WRK = "/usr/bin/wrk"
ONDAS = str(Path(sys.executable).with_name("ondas"))
BENCH = Path(__file__).resolve().parent
MIB = 1 << 20
# Lean `ondas serve` / bare Gunicorn, in the same run (TARGETS.md).
TARGET = 0.85
AUDIO_SECONDS = 5_000  # 32 kbit/s: 20,000,000 bytes

NGINX_CONF = """\
worker_processes auto;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/nginx-client-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    types {{ audio/mpeg mp3; }}
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/www;
    }}
}}
"""

# Random chunk-aligned ranges (or the whole file when chunk >= size), with a
# Cookie header when one is given. Each wrk thread has its own Lua state;
# seed each differently.
WRK_LUA = """\
local size = {size}
local chunk = {chunk}
local chunks = math.floor(size / chunk)
local path = "{path}"
local cookie = "{cookie}"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

function request()
  local start = math.random(0, chunks - 1) * chunk
  local headers = {{["Range"] = "bytes=" .. start .. "-" .. (start + chunk - 1)}}
  if chunk >= size then headers = {{}} end
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end
"""

CREATE_AUDIO = """
import io, pathlib
from ondas.catalog.services import audio_file_create
data = pathlib.Path({source!r}).read_bytes()
audio = audio_file_create(name="bench.mp3", content=io.BytesIO(data),
                          mime_type="audio/mpeg", duration_seconds={seconds})
print("AUDIO_ID=%d" % audio.pk)
"""

# The audio of an exclusive episode, and a signed-in subscriber's cookie.
CREATE_EXCLUSIVE = """
import io, pathlib
from django.test import Client
from django.utils import timezone
from ondas.accounts.models import User
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import plan_create, subscription_start
from ondas.catalog.models import Episode
from ondas.catalog.services import audio_file_create, episode_create, show_create
data = pathlib.Path({source!r}).read_bytes()
audio = audio_file_create(name="bench.mp3", content=io.BytesIO(data),
                          mime_type="audio/mpeg", duration_seconds={seconds})
show = show_create(title="Bench", author="Ondas", language="es")
episode_create(show=show, guid="bench-1", title="Exclusive", audio=audio,
               published_at=timezone.now(), access=Episode.Access.EXCLUSIVE)
plan = plan_create(slug="premium", name="Premium", price_minor=9900,
                   currency="MXN", trial_days=7, audiobook_hours=20,
                   includes_exclusive=True)
user = User.objects.create_user("bench@example.com", "a long pass phrase")
subscription_start(user=user, plan=plan, now=timezone.now(),
                   payment_method=payment_method_from_test_card("4242424242424242"))
client = Client()
client.force_login(user)
print("AUDIO_ID=%d" % audio.pk)
print("COOKIE=sessionid=%s" % client.cookies["sessionid"].value)
"""


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    requests: int
    non_2xx: int
    socket_errors: str
    latency_p50: str
    latency_p99: str
    transfer: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def _running(
    argv: list[str], *, env: dict[str, str] | None, port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server in its own process group; stop the whole group on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_for_port(port, proc, timeout=30)
        yield proc
    except BaseException:
        tail = log.read_text(errors="replace").splitlines()[-40:]
        print(f"--- last lines of {log.name} ---", *tail, sep="\n", file=sys.stderr)
        raise
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _check_range(port: int, path: str, data: bytes, cookie: str = "") -> None:
    """One range request must come back 206 with exactly the asked bytes."""
    start = 5 * MIB
    headers = {"Range": f"bytes={start}-{start + MIB - 1}"}
    if cookie:
        headers["Cookie"] = cookie
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 206 or body != data[start : start + MIB]:
        raise RuntimeError(f"127.0.0.1:{port}{path}: {response.status}, wrong bytes")


def _parse_wrk(output: str) -> WrkResult:
    def find(pattern: str, default: str = "") -> str:
        match = re.search(pattern, output, re.MULTILINE)
        return match.group(1) if match else default

    return WrkResult(
        requests_per_second=float(find(r"^Requests/sec:\s+([\d.]+)", "0")),
        requests=int(find(r"^\s*(\d+) requests in", "0")),
        non_2xx=int(find(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        socket_errors=find(r"Socket errors:\s+(.*)$", "none"),
        latency_p50=find(r"^\s+50%\s+(\S+)"),
        latency_p99=find(r"^\s+99%\s+(\S+)"),
        transfer=find(r"^Transfer/sec:\s+(\S+)"),
    )


def _wrk(
    url: str, script: Path, *, seconds: int, connections: int, threads: int
) -> WrkResult:
    argv = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    return _parse_wrk(done.stdout)


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and every live descendant, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            # Fields after the command name, which may hold spaces: utime, stime
            # are the 14th and 15th fields of the line.
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / ticks


def _measure(target: Target, args: argparse.Namespace) -> tuple[float, float]:
    """Return requests/s and the server's CPU microseconds per request."""
    cpu_before = _tree_cpu_seconds(target.pid)
    result = _wrk(
        target.url,
        target.script,
        seconds=args.seconds,
        connections=args.connections,
        threads=args.wrk_threads,
    )
    cpu = _tree_cpu_seconds(target.pid) - cpu_before
    cpu_per_request = cpu / max(result.requests, 1) * 1e6
    print(
        f"  {target.name:<32} {result.requests_per_second:>7,.0f} req/s, "
        f"server CPU {cpu_per_request:>5,.0f} us/req "
        f"(p50 {result.latency_p50}, p99 {result.latency_p99}, "
        f"non-2xx {result.non_2xx}, socket errors: {result.socket_errors})",
        flush=True,
    )
    if result.non_2xx or result.requests == 0:
        raise RuntimeError(f"{target.name}: {result.non_2xx} responses were not 2xx")
    return result.requests_per_second, cpu_per_request


def _make_audio(path: Path) -> bytes:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from ondas.ops.demo_audio import encode_tone_mp3

    buffer = io.BytesIO()
    encode_tone_mp3(buffer, duration_seconds=AUDIO_SECONDS, chapter_starts=[0])
    data = buffer.getvalue()
    path.write_bytes(data)
    return data


def _ondas_env(tmp: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ONDAS_") and key not in ("DATABASE_URL", "SENDFILE")
    }
    env |= {
        "ONDAS_DATA_DIR": str(tmp / "ondas-data"),
        "ONDAS_MEDIA_ROOT": str(tmp / "ondas-media"),
        "ONDAS_SECRET_KEY": "bench-not-secret",
        "ONDAS_LOG_LEVEL": "WARNING",
    }
    return env


def _ondas_audio(
    tmp: Path, env: dict[str, str], source: Path, *, exclusive: bool = False
) -> tuple[int, str]:
    """Create the audio (and for exclusive audio, a subscriber); return its id
    and the cookie to send ("" for free audio)."""
    (tmp / "ondas-data").mkdir()
    subprocess.run(
        [ONDAS, "manage", "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        timeout=120,
    )
    script = CREATE_EXCLUSIVE if exclusive else CREATE_AUDIO
    created = subprocess.run(
        [
            ONDAS,
            "manage",
            "shell",
            "-c",
            script.format(source=str(source), seconds=float(AUDIO_SECONDS)),
        ],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    match = re.search(r"AUDIO_ID=(\d+)", created.stdout)
    if match is None:
        raise RuntimeError("could not create the audio file: " + created.stderr)
    cookie = re.search(r"COOKIE=(\S+)", created.stdout)
    return int(match.group(1)), cookie.group(1) if cookie else ""


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    script: Path
    pid: int


def _start_nginx(stack: ExitStack, tmp: Path, data: bytes, size: int) -> Target:
    port = _free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    script = tmp / "nginx.lua"
    script.write_text(
        WRK_LUA.format(size=size, chunk=MIB, path="/bench.mp3", cookie="")
    )
    argv = [NGINX, "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(conf)]
    proc = stack.enter_context(
        _running(argv, env=None, port=port, log=tmp / "nginx.out")
    )
    _check_range(port, "/bench.mp3", data)
    return Target("nginx (sendfile)", f"http://127.0.0.1:{port}", script, proc.pid)


def _start_ondas(
    stack: ExitStack,
    tmp: Path,
    env: dict[str, str],
    path: str,
    data: bytes,
    *,
    workers: int,
    threads: int,
    lean: bool = True,
    cookie: str = "",
) -> Target:
    port = _free_port()
    kind = "lean" if lean else "full"
    script = tmp / f"ondas-{kind}-{threads}.lua"
    script.write_text(
        WRK_LUA.format(size=len(data), chunk=MIB, path=path, cookie=cookie)
    )
    argv = [ONDAS, "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers), "--threads", str(threads)]
    log = tmp / f"ondas-{kind}-{threads}.out"
    env = dict(env, ONDAS_LEAN_AUDIO="1" if lean else "0")
    proc = stack.enter_context(_running(argv, env=env, port=port, log=log))
    _check_range(port, path, data, cookie)
    name = f"ondas {kind} {workers}w x {threads}t"
    return Target(name, f"http://127.0.0.1:{port}", script, proc.pid)


def _start_bare(
    stack: ExitStack,
    tmp: Path,
    source: Path,
    data: bytes,
    *,
    workers: int,
    threads: int,
    cookie: str = "",
    worker: str = "gthread",
) -> Target:
    """Gunicorn with no Django: the most any app under it can do here."""
    port = _free_port()
    ondas_worker = worker != "gthread"
    script = tmp / f"bare{'-ondas-worker' if ondas_worker else ''}.lua"
    # The same request as Ondas gets, cookie included (it is not read).
    script.write_text(
        WRK_LUA.format(size=len(data), chunk=MIB, path="/bare.mp3", cookie=cookie)
    )
    argv = [str(Path(sys.executable).with_name("gunicorn")), "--chdir", str(BENCH)]
    argv += ["-k", worker, "--workers", str(workers), "--threads", str(threads)]
    argv += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    argv += ["bare_gunicorn:app"]
    env = dict(os.environ, BARE_AUDIO=str(source))
    log = tmp / f"{script.stem}.out"
    proc = stack.enter_context(_running(argv, env=env, port=port, log=log))
    _check_range(port, "/bare.mp3", data)
    name = f"bare gunicorn {workers}w x {threads}t"
    if ondas_worker:
        name = f"bare, ondas worker {workers}w x {threads}t"
    return Target(name, f"http://127.0.0.1:{port}", script, proc.pid)


def _ratio(rates: dict[str, list[float]], top: str, bottom: str, i: int) -> float:
    return rates[top][i] / rates[bottom][i]


def run(args: argparse.Namespace) -> int:
    for tool in (NGINX, WRK):
        if not os.access(tool, os.X_OK):
            print(f"{tool} is missing: run `make bench-deps`", file=sys.stderr)
            return 2
    thread_counts = [int(t) for t in args.threads.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="ondas-bench-"))
    try:
        # nginx's workers run as nobody: they must be able to read the file.
        tmp.chmod(0o755)
        www = tmp / "www"
        www.mkdir()
        print("Encoding ~20 MB of MP3 ...", flush=True)
        data = _make_audio(www / "bench.mp3")
        env = _ondas_env(tmp)
        exclusive = args.access == "exclusive"
        audio_id, cookie = _ondas_audio(
            tmp, env, www / "bench.mp3", exclusive=exclusive
        )
        print(
            f"{len(data):,} bytes, {args.access} audio; {args.connections} "
            f"connections, {args.seconds} s per run, {args.rounds} round(s), "
            f"wrk -t{args.wrk_threads}, random 1 MiB-aligned ranges; 2 cores "
            "shared with wrk",
            flush=True,
        )
        path = f"/audio/{audio_id}.mp3"
        with ExitStack() as stack:
            nginx = _start_nginx(stack, tmp, data, len(data))
            pairs = [
                tuple(
                    _start_ondas(
                        stack,
                        tmp,
                        env,
                        path,
                        data,
                        workers=args.workers,
                        threads=threads,
                        lean=lean,
                        cookie=cookie,
                    )
                    for lean in (True, False)
                )
                for threads in thread_counts
            ]
            lean_targets = [pair[0] for pair in pairs]
            full_targets = [pair[1] for pair in pairs]
            bare = _start_bare(
                stack,
                tmp,
                www / "bench.mp3",
                data,
                workers=args.workers,
                threads=max(thread_counts),
                cookie=cookie,
            )
            # The same bare app under `ondas serve`'s worker class (heads read
            # by the poller, ondas.ops.serve_worker): what that design costs.
            bare_worker = _start_bare(
                stack,
                tmp,
                www / "bench.mp3",
                data,
                workers=args.workers,
                threads=max(thread_counts),
                cookie=cookie,
                worker="ondas.ops.serve_worker.OndasThreadWorker",
            )
            every = (nginx, *lean_targets, *full_targets, bare, bare_worker)
            for target in every:  # warm up: page cache, imports, pools
                _wrk(target.url, target.script, seconds=2, connections=10, threads=1)
            # Rounds interleave the servers, so that anything else the machine
            # is doing hurts all of them alike; each ratio uses its own round.
            rates: dict[str, list[float]] = {t.name: [] for t in every}
            cpu: dict[str, list[float]] = {t.name: [] for t in every}
            best_lean: list[str] = []
            best_full: list[str] = []
            for number in range(1, args.rounds + 1):
                print(f"round {number}:", flush=True)
                for target in every:
                    rate, cpu_per_request = _measure(target, args)
                    rates[target.name].append(rate)
                    cpu[target.name].append(cpu_per_request)
                for best, group in (
                    (best_lean, lean_targets),
                    (best_full, full_targets),
                ):
                    best.append(max(group, key=lambda t: rates[t.name][-1]).name)

        print("median over rounds:")
        for name, values in rates.items():
            print(
                f"  {name:<32} {statistics.median(values):>7,.0f} req/s, "
                f"server CPU {statistics.median(cpu[name]):>5,.0f} us/req"
            )
        rounds = range(args.rounds)
        judged = [(_ratio(rates, best_lean[i], bare.name, i), i) for i in rounds]
        ratio, median_round = sorted(judged)[len(judged) // 2]
        i = median_round
        print(f"ratios in the median round (round {i + 1}):")
        for label, top, bottom in (
            ("lean / bare gunicorn", best_lean[i], bare.name),
            ("full / bare gunicorn", best_full[i], bare.name),
            ("lean / bare, ondas worker", best_lean[i], bare_worker.name),
            ("bare, ondas worker / bare", bare_worker.name, bare.name),
            ("lean / full", best_lean[i], best_full[i]),
            ("lean / nginx", best_lean[i], nginx.name),
            ("full / nginx", best_full[i], nginx.name),
            ("bare gunicorn / nginx", bare.name, nginx.name),
        ):
            cpu_top, cpu_bottom = cpu[top][i], cpu[bottom][i]
            print(
                f"  {label:<26} {_ratio(rates, top, bottom, i):.2f} "
                f"(CPU per request {cpu_top:,.0f} vs {cpu_bottom:,.0f} us)"
            )
        verdict = "PASS" if ratio >= TARGET else "FAIL"
        print(
            f"lean ondas / bare gunicorn = {ratio:.2f} (median round; best lean "
            f"there: {best_lean[i]}); target >= {TARGET}: {verdict}"
        )
        return 0 if verdict == "PASS" else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="Gunicorn workers")
    parser.add_argument(
        "--threads", default="8", help="Gunicorn threads per worker, e.g. 4,8,16"
    )
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (logs)"
    )
    parser.add_argument(
        "--access",
        choices=("free", "exclusive"),
        default="free",
        help="free audio to anyone, or exclusive audio to a signed-in subscriber",
    )
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
