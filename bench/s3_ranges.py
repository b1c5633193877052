"""1 MiB Range requests through nginx: audio in the S3 bucket (nginx proxies
the object after Ondas's yes) against audio on local disk (nginx sends the
file after its kept yes), in the same run; prints the ratio S3/local.

    .venv/bin/python bench/s3_ranges.py [--seconds 10] [--clients 8] [--size-mib 20]

The bucket is moto's server mode, a stand-in that keeps objects in memory in
one Python process: it is far slower than a real store (Garage, Ceph RGW), so
the ratio here is a floor, not what production sees. The client is Python
threads over TLS with keep-alive, on the same 2 cores as everything else:
compare the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import http.client
import random
import ssl
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.s3 import moto_s3_server  # noqa: E402 - after the path
from tests.support.servers import (  # noqa: E402
    ACCEL_PREFIX,
    MIB,
    Nginx,
    Site,
    nginx_running,
    ondas_serve,
    temporary_site,
)


def _load(nginx: Nginx, site: Site, *, seconds: float, clients: int) -> float:
    """Requests per second of random 1 MiB ranges, each checked for its bytes."""
    context = ssl.create_default_context(cafile=str(nginx.cert))
    deadline = time.monotonic() + seconds
    done = [0] * clients
    errors: list[str] = []

    def client(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPSConnection(
            "127.0.0.1", nginx.port, context=context, timeout=30
        )
        while time.monotonic() < deadline:
            start = rng.randrange(0, len(site.data) - MIB)
            conn.request(
                "GET",
                site.audio_path,
                headers={"Range": f"bytes={start}-{start + MIB - 1}"},
            )
            response = conn.getresponse()
            body = response.read()
            if response.status != 206 or body != site.data[start : start + MIB]:
                errors.append(f"{response.status} at {start}")
                return
            done[n] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"wrong answers: {errors[:3]}")
    return sum(done) / (time.monotonic() - began)


def _measure(site: Site, *, seconds: float, clients: int) -> float:
    env = {"ONDAS_AUDIO_ACCEL_PREFIX": ACCEL_PREFIX}
    with ondas_serve(site, env=env, name="bench") as app:
        with nginx_running(site, upstream=app.port) as nginx:
            _load(nginx, site, seconds=1, clients=1)  # warm up
            return _load(nginx, site, seconds=seconds, clients=clients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--size-mib", type=int, default=20)
    args = parser.parse_args()
    size = args.size_mib * MIB + 12_345
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        s3 = stack.enter_context(moto_s3_server(directory / "moto.log"))
        local_site = stack.enter_context(temporary_site(size=size))
        s3_site = stack.enter_context(
            temporary_site(size=size, extra_env=s3.env | {"ONDAS_MEDIA_STORAGE": "s3"})
        )
        local = _measure(local_site, seconds=args.seconds, clients=args.clients)
        bucket = _measure(s3_site, seconds=args.seconds, clients=args.clients)
    print(
        f"1 MiB ranges through nginx, {args.clients} clients, {args.seconds:g} s each"
    )
    print(f"local disk (X-Accel, kept yes): {local:8.1f} req/s")
    print(f"S3 bucket (proxied, moto):      {bucket:8.1f} req/s")
    print(f"ratio S3/local: {bucket / local:.2f}")


if __name__ == "__main__":
    main()
