"""The production path: nginx (the site `ondas deploy nginx` renders) + `ondas serve`.

    python bench/production.py [--seconds 10] [--connections 50] [--rounds 1]
                               [--listeners 5000] [--skip-listeners] [--keep]

Builds on ``bench/audio_ranges.py`` (same audio, same wrk script shape, same
process handling) and measures, in one run on this machine:

1. 1 MiB Range requests, wrk, over plain HTTP and over TLS:
   (a) nginx straight from disk (a public location on the same nginx);
   (b) nginx asking Ondas (auth_request) on every request whether a
       signed-in subscriber may hear an *exclusive* episode, keeping Ondas's
       yes for ONDAS_AUDIO_RIGHTS_TTL seconds (default 10) per file and
       session, then sending the file itself;
   (b0) the same with ONDAS_AUDIO_RIGHTS_TTL=0: Ondas answers every request
       (session, user, audio and subscription looked up each time).
   Ratio b/a; the issue's target is >= 0.9 (shared/TARGETS.md says 0.95).
   b0/a is printed for the record.
2. Idle memory of `ondas serve --workers 2` (arbiter + 2 workers), warmed up
   by a few requests: PSS summed (what the processes really hold together)
   and RSS summed (shared pages counted in each); target <= 100 MiB.
3. Page faults (minor + major, every process of the server) per 1,000 audio
   requests: `ondas serve` sending bytes itself (sendfile), nginx + Ondas
   (X-Accel-Redirect), and nginx alone from disk as the baseline.
4. ``--listeners`` (5,000) concurrent slow listeners through nginx: each asks
   for 256 KiB of exclusive audio with its session and reads 8 KiB/s until
   the last one has connected and 10 s more, then the rest at once; all must
   get 206 and the exact bytes; the peak of connections open at once is
   printed.

Everything listens on 127.0.0.1 and is stopped when the run ends.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audio_ranges import (  # noqa: E402 - the harness this builds on
    MIB,
    NGINX,
    ONDAS,
    WRK,
    WRK_LUA,
    _free_port,
    _make_audio,
    _ondas_env,
    _running,
    _tree_cpu_seconds,
    _wrk,
)

TARGET_ACCEL = 0.9
TARGET_IDLE_MIB = 100
ACCEL_PREFIX = "/_protected_media/"

NGINX_MAIN = """\
worker_processes 2;
worker_rlimit_nofile {nofile};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections {connections}; multi_accept on; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    include {tmp}/site.conf;
}}
"""


SETUP = """
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
class Endpoint:
    name: str
    url: str
    script: Path
    pids: tuple[int, ...]


def _setup_ondas(tmp: Path, env: dict[str, str], source: Path) -> tuple[int, str]:
    (tmp / "ondas-data").mkdir()
    subprocess.run(
        [ONDAS, "manage", "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        timeout=120,
    )
    done = subprocess.run(
        [
            ONDAS,
            "manage",
            "shell",
            "-c",
            SETUP.format(source=str(source), seconds=5000.0),
        ],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    audio = re.search(r"AUDIO_ID=(\d+)", done.stdout)
    cookie = re.search(r"COOKIE=(\S+)", done.stdout)
    if audio is None or cookie is None:
        raise RuntimeError("setup failed: " + done.stdout + done.stderr)
    media = tmp / "ondas-media"
    for path in [media, *media.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return int(audio.group(1)), cookie.group(1)


def _certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
         "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def _start_nginx(
    stack: ExitStack, tmp: Path, env: dict[str, str], upstream: int, connections: int
) -> tuple[int, int, int]:
    """The rendered site, plus a plain listener and a public /bench.mp3 for (a)."""
    tls, plain = _free_port(), _free_port()
    cert, key = _certificate(tmp)
    site = tmp / "site.conf"
    subprocess.run(
        [ONDAS, "deploy", "nginx", "--listen", f"127.0.0.1:{tls}", "--http-listen",
         "", "--server-name", "localhost", "--certificate", str(cert),
         "--certificate-key", str(key), "--upstream", f"127.0.0.1:{upstream}",
         "--access-log", "off", "--cache-dir", str(tmp / "cache"), "-o", str(site)],
        env=env, check=True, timeout=60, capture_output=True,
    )  # fmt: skip
    text = site.read_text()
    text = text.replace(
        f"    listen 127.0.0.1:{tls} ssl http2;\n",
        f"    listen 127.0.0.1:{tls} ssl http2;\n    listen 127.0.0.1:{plain};\n",
    )
    text = text.replace("access_log off ondas;", "access_log off;")
    text = text.replace(
        "    location / {",
        f"    location = /bench.mp3 {{\n        alias {tmp}/www/bench.mp3;\n    }}\n\n"
        "    location / {",
    )
    site.write_text(text)
    conf = tmp / "nginx.conf"
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf.write_text(
        NGINX_MAIN.format(tmp=tmp, connections=connections, nofile=min(nofile, 65536))
    )
    argv = [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")]
    subprocess.run([*argv, "-t"], check=True, capture_output=True, timeout=30)
    proc = stack.enter_context(
        _running(argv, env=None, port=plain, log=tmp / "nginx.out")
    )
    return proc.pid, plain, tls


def _check(url_port: int, path: str, cookie: str, data: bytes) -> None:
    start = 3 * MIB
    conn = http.client.HTTPConnection("127.0.0.1", url_port, timeout=10)
    try:
        conn.request(
            "GET",
            path,
            headers={"Range": f"bytes={start}-{start + MIB - 1}", "Cookie": cookie},
        )
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 206 or body != data[start : start + MIB]:
        raise RuntimeError(f"{path} on {url_port}: {response.status}, wrong bytes")


def _measure(endpoint: Endpoint, args: argparse.Namespace) -> tuple[float, float]:
    before = sum(_tree_cpu_seconds(pid) for pid in endpoint.pids)
    result = _wrk(
        endpoint.url,
        endpoint.script,
        seconds=args.seconds,
        connections=args.connections,
        threads=args.wrk_threads,
    )
    cpu = sum(_tree_cpu_seconds(pid) for pid in endpoint.pids) - before
    per_request = cpu / max(result.requests, 1) * 1e6
    print(
        f"  {endpoint.name:<28} {result.requests_per_second:>7,.0f} req/s, "
        f"server CPU {per_request:>5,.0f} us/req (p50 {result.latency_p50}, "
        f"p99 {result.latency_p99}, non-2xx {result.non_2xx}, "
        f"socket errors: {result.socket_errors})",
        flush=True,
    )
    if result.non_2xx or result.requests == 0:
        raise RuntimeError(f"{endpoint.name}: {result.non_2xx} answers were not 2xx")
    return result.requests_per_second, per_request


def _tree_pids(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return pids


def _memory(pid: int) -> tuple[int, int, int]:
    """PSS and RSS summed over a process tree (bytes), and how many processes."""
    pss = rss = 0
    pids = _tree_pids(pid)
    for current in pids:
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
        except FileNotFoundError:
            continue
    return pss, rss, len(pids)


def _faults(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[7]) + int(fields[9])  # minflt, majflt
    return total


def _requests(port: int, path: str, cookie: str, count: int, size: int) -> None:
    """``count`` 64 KiB range requests on 4 kept-alive connections."""

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for i in range(count // 4):
                start = ((i * 4 + n) * 65536 * 7) % (size - 65536)
                headers = {"Range": f"bytes={start}-{start + 65535}", "Cookie": cookie}
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 206:
                    raise RuntimeError(f"{path}: {response.status}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def _faults_per_1000(
    pids_of: list[int], port: int, path: str, cookie: str, size: int
) -> float:
    _requests(port, path, cookie, 200, size)  # warm: pools, caches, pages
    pids = [p for root in pids_of for p in _tree_pids(root)]
    before = _faults(pids)
    _requests(port, path, cookie, 1000, size)
    return float(_faults(pids) - before)


async def _listener(
    port: int,
    path: str,
    cookie: str,
    expected: bytes,
    state: dict[str, int],
    gate: float,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    state["open"] += 1
    state["peak"] = max(state["peak"], state["open"])
    try:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n"
            f"Range: bytes=0-{len(expected) - 1}\r\nConnection: close\r\n\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 206"):
            state["errors"] += 1
            return
        body = b""
        # Read slowly, as a player at low bitrate would, until every listener
        # has connected; then finish.
        while len(body) < len(expected):
            chunk = await reader.read(2048 if time.monotonic() < gate else 65536)
            if not chunk:
                break
            body += chunk
            if time.monotonic() < gate:
                await asyncio.sleep(0.25)
        state["ok" if body == expected else "errors"] += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        state["errors"] += 1
    finally:
        state["open"] -= 1
        writer.close()


async def _listeners(
    port: int, path: str, cookie: str, expected: bytes, count: int, ramp: float
) -> dict[str, int]:
    state = {"open": 0, "peak": 0, "ok": 0, "errors": 0}
    gate = time.monotonic() + ramp + 10.0
    tasks = []
    for n in range(count):
        tasks.append(
            asyncio.create_task(_listener(port, path, cookie, expected, state, gate))
        )
        if n % 100 == 99:
            await asyncio.sleep(ramp / (count / 100))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=ramp + 90)
    return state


def run(args: argparse.Namespace) -> int:
    for tool in (NGINX, WRK):
        if not os.access(tool, os.X_OK):
            print(f"{tool} is missing: run `make bench-deps`", file=sys.stderr)
            return 2
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = Path(tempfile.mkdtemp(prefix="ondas-bench-prod-"))
    verdicts: list[bool] = []
    try:
        tmp.chmod(0o755)
        (tmp / "www").mkdir()
        print("Encoding ~20 MB of MP3 ...", flush=True)
        data = _make_audio(tmp / "www" / "bench.mp3")
        env = _ondas_env(tmp) | {"ONDAS_AUDIO_ACCEL_PREFIX": ACCEL_PREFIX}
        audio_id, cookie = _setup_ondas(tmp, env, tmp / "www" / "bench.mp3")
        path = f"/audio/{audio_id}.mp3"
        with ExitStack() as stack:
            app_port = _free_port()
            app = stack.enter_context(
                _running(
                    [ONDAS, "serve", "--port", str(app_port), "--workers", "2"],
                    env=env,
                    port=app_port,
                    log=tmp / "ondas.out",
                )
            )
            # `ondas serve` alone, sending bytes itself (for the page faults).
            direct_port = _free_port()
            direct_env = {
                k: v for k, v in env.items() if k != "ONDAS_AUDIO_ACCEL_PREFIX"
            }
            direct = stack.enter_context(
                _running(
                    [ONDAS, "serve", "--port", str(direct_port), "--workers", "2"],
                    env=direct_env,
                    port=direct_port,
                    log=tmp / "ondas-direct.out",
                )
            )
            # The same, with ONDAS_AUDIO_RIGHTS_TTL=0: nginx asks on every request.
            strict_port = _free_port()
            strict = stack.enter_context(
                _running(
                    [ONDAS, "serve", "--port", str(strict_port), "--workers", "2"],
                    env=env | {"ONDAS_AUDIO_RIGHTS_TTL": "0"},
                    port=strict_port,
                    log=tmp / "ondas-strict.out",
                )
            )
            connections = max(1024, args.listeners * 2 + 256)
            nginx_pid, plain, tls = _start_nginx(stack, tmp, env, app_port, connections)
            (tmp / "strict").mkdir()
            strict_nginx_pid, strict_plain, strict_tls = _start_nginx(
                stack, tmp / "strict", env, strict_port, 1024
            )
            _check(plain, "/bench.mp3", "", data)
            _check(plain, path, cookie, data)
            _check(strict_plain, path, cookie, data)
            _check(direct_port, path, cookie, data)

            # 2. idle memory, measured first: after a few warm-up requests.
            for _ in range(20):
                _check(direct_port, path, cookie, data)
            time.sleep(2)
            pss, rss, processes = _memory(direct.pid)
            idle_ok = pss <= TARGET_IDLE_MIB * MIB
            verdicts.append(idle_ok)
            print(
                f"idle `ondas serve --workers 2` ({processes} processes): "
                f"PSS {pss / MIB:.1f} MiB total, RSS {rss / MIB:.1f} MiB total; "
                f"target PSS <= {TARGET_IDLE_MIB} MiB: {'PASS' if idle_ok else 'FAIL'}",
                flush=True,
            )

            # 1. throughput, a vs b, plain HTTP and TLS.
            size = len(data)
            scripts = {}
            for name, target_path, with_cookie, chunk in (
                ("disk", "/bench.mp3", "", MIB),
                ("accel", path, cookie, MIB),
                ("disk-whole", "/bench.mp3", "", size),
                ("accel-whole", path, cookie, size),
            ):
                script = tmp / f"{name}.lua"
                script.write_text(
                    WRK_LUA.format(
                        size=size, chunk=chunk, path=target_path, cookie=with_cookie
                    )
                )
                scripts[name] = script
            endpoints = [
                Endpoint("(a) nginx disk, http", f"http://127.0.0.1:{plain}", scripts["disk"], (nginx_pid,)),
                Endpoint("(b) nginx+ondas, http", f"http://127.0.0.1:{plain}", scripts["accel"], (nginx_pid, app.pid)),
                Endpoint("(b0) ttl 0, http", f"http://127.0.0.1:{strict_plain}", scripts["accel"], (strict_nginx_pid, strict.pid)),
                Endpoint("(a) nginx disk, https", f"https://127.0.0.1:{tls}", scripts["disk"], (nginx_pid,)),
                Endpoint("(b) nginx+ondas, https", f"https://127.0.0.1:{tls}", scripts["accel"], (nginx_pid, app.pid)),
                Endpoint("(b0) ttl 0, https", f"https://127.0.0.1:{strict_tls}", scripts["accel"], (strict_nginx_pid, strict.pid)),
            ]  # fmt: skip
            if args.whole:
                endpoints += [
                    Endpoint("(a) nginx disk, https, whole", f"https://127.0.0.1:{tls}", scripts["disk-whole"], (nginx_pid,)),
                    Endpoint("(b) accel, https, whole", f"https://127.0.0.1:{tls}", scripts["accel-whole"], (nginx_pid, app.pid)),
                ]  # fmt: skip
            for endpoint in endpoints:
                _wrk(
                    endpoint.url, endpoint.script, seconds=2, connections=10, threads=1
                )
            rates: dict[str, list[float]] = {e.name: [] for e in endpoints}
            cpu: dict[str, list[float]] = {e.name: [] for e in endpoints}
            for number in range(1, args.rounds + 1):
                print(
                    f"round {number}: 1 MiB ranges, {args.connections} connections",
                    flush=True,
                )
                for endpoint in endpoints:
                    rate, per_request = _measure(endpoint, args)
                    rates[endpoint.name].append(rate)
                    cpu[endpoint.name].append(per_request)
            pairs = [
                ("1 MiB ranges, http", "(a) nginx disk, http", "(b) nginx+ondas, http"),
                ("1 MiB ranges, https", "(a) nginx disk, https", "(b) nginx+ondas, https"),
            ]  # fmt: skip
            if args.whole:
                pairs.append(
                    ("whole file, https", "(a) nginx disk, https, whole", "(b) accel, https, whole")
                )  # fmt: skip
            for label, name_a, name_b in pairs:
                a = statistics.median(rates[name_a])
                b = statistics.median(rates[name_b])
                ok = b / a >= TARGET_ACCEL
                if not label.startswith("whole"):
                    verdicts.append(ok)
                print(
                    f"{label}: ondas-checked/disk = {b / a:.2f} ({b:,.0f} / {a:,.0f} "
                    f"req/s); target >= {TARGET_ACCEL}: {'PASS' if ok else 'FAIL'}",
                    flush=True,
                )
                name_b0 = name_b.replace("(b) nginx+ondas", "(b0) ttl 0")
                if name_b0 in rates:
                    b0 = statistics.median(rates[name_b0])
                    print(
                        f"{label}, asked on every request (TTL 0): {b0 / a:.2f} "
                        f"({b0:,.0f} / {a:,.0f} req/s); no target",
                        flush=True,
                    )

            # 3. page faults per 1,000 audio requests (64 KiB ranges).
            baseline = _faults_per_1000([nginx_pid], plain, "/bench.mp3", "", size)
            accel = _faults_per_1000([nginx_pid, app.pid], plain, path, cookie, size)
            itself = _faults_per_1000([direct.pid], direct_port, path, cookie, size)
            print(
                "page faults per 1,000 audio requests: nginx from disk "
                f"{baseline:,.0f}; nginx + ondas (accel) {accel:,.0f} "
                f"({accel / max(baseline, 1):.1f}x); ondas serve alone {itself:,.0f} "
                f"({itself / max(baseline, 1):.1f}x)",
                flush=True,
            )

            # 4. slow listeners.
            if not args.skip_listeners:
                expected = data[: 256 * 1024]
                started = time.monotonic()
                state = asyncio.run(
                    _listeners(plain, path, cookie, expected, args.listeners, ramp=8.0)
                )
                ok = state["ok"] == args.listeners and state["errors"] == 0
                verdicts.append(ok)
                print(
                    f"{args.listeners:,} slow listeners through nginx: {state['ok']:,} "
                    f"complete and exact, {state['errors']} errors, peak "
                    f"{state['peak']:,} open at once, {time.monotonic() - started:.1f} s; "
                    f"{'PASS' if ok else 'FAIL'}",
                    flush=True,
                )
        return 0 if all(verdicts) else 1
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--listeners", type=int, default=5000)
    parser.add_argument("--skip-listeners", action="store_true")
    parser.add_argument(
        "--whole",
        action="store_true",
        help="also whole-file requests (what a browser's <audio> asks first)",
    )
    parser.add_argument("--keep", action="store_true")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
