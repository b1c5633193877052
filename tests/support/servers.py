"""Real `ondas serve` and nginx processes on 127.0.0.1, for any test that needs a server.

Every process runs in its own process group and is stopped (TERM, then KILL)
when its context ends, whatever the test did; every wait has a deadline.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ONDAS = str(Path(sys.executable).with_name("ondas"))
NGINX = "/usr/sbin/nginx"
MIB = 1 << 20
ACCEL_PREFIX = "/_protected_media/"
CREATE_AUDIO = """
import io, pathlib
from ondas.catalog.services import audio_file_create
data = pathlib.Path({source!r}).read_bytes()
audio = audio_file_create(name="ops.mp3", content=io.BytesIO(data),
                          mime_type="audio/mpeg", duration_seconds=600.0)
print("AUDIO_ID=%d" % audio.pk)
"""
NGINX_MAIN = """\
worker_processes {workers};
worker_rlimit_nofile {nofile};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args!r} exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def stop_group(proc: subprocess.Popen[bytes], *, timeout: float = 15) -> None:
    """TERM the process group, KILL it after ``timeout`` s; never leave it behind."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass(frozen=True)
class Site:
    """A data directory with one audio file, shared by the servers of a module."""

    root: Path
    env: dict[str, str]
    audio_id: int
    data: bytes

    @property
    def audio_path(self) -> str:
        return f"/audio/{self.audio_id}.mp3"


def make_site(
    root: Path, *, size: int = 3 * MIB + 12_345, extra_env: dict[str, str] | None = None
) -> Site:
    """Migrate a fresh SQLite database and store ``size`` random bytes as audio
    (in the storage ``extra_env`` chooses: local disk by default)."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    (root / "data").mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ONDAS_", "PROMETHEUS_"))
        and key not in ("DATABASE_URL", "SENDFILE")
    }
    env |= {
        "ONDAS_DATA_DIR": str(root / "data"),
        "ONDAS_MEDIA_ROOT": str(root / "media"),
        "ONDAS_SECRET_KEY": "ops-test-not-secret",
        "ONDAS_LOG_LEVEL": "WARNING",
        "ONDAS_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env |= extra_env or {}
    data = random.Random(11).randbytes(size)
    source = root / "source.bin"
    source.write_bytes(data)
    subprocess.run(
        [ONDAS, "manage", "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        timeout=120,
    )
    created = subprocess.run(
        [ONDAS, "manage", "shell", "-c", CREATE_AUDIO.format(source=str(source))],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    match = re.search(r"AUDIO_ID=(\d+)", created.stdout)
    assert match is not None, created.stdout + created.stderr
    (root / "media").mkdir(exist_ok=True)
    for path in (root, root / "media"):
        path.chmod(0o755)
    for path in (root / "media").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return Site(root=root, env=env, audio_id=int(match.group(1)), data=data)


@contextmanager
def temporary_site(
    size: int = 3 * MIB + 12_345, extra_env: dict[str, str] | None = None
) -> Iterator[Site]:
    """A site in a fresh directory of the system's temporary folder, removed after.

    Not under pytest's ``tmp_path``: pytest keeps its base directory private
    (mode 0700, reset by every pytest run on the machine), and nginx's workers
    run as nobody and must read the media.
    """
    root = Path(tempfile.mkdtemp(prefix="ondas-ops-"))
    try:
        yield make_site(root, size=size, extra_env=extra_env)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def workers(self) -> set[int]:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except FileNotFoundError:
            return set()


@contextmanager
def ondas_serve(
    site: Site,
    *,
    workers: int = 2,
    threads: int = 4,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    name: str = "ondas",
    port: int | None = None,
) -> Iterator[Served]:
    """``ondas serve`` on ``port`` (a free one when not given), stopped after."""
    port = port or free_port()
    log = site.root / f"{name}-{port}.log"
    argv = [ONDAS, "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers), "--threads", str(threads), *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            env=site.env | (env or {}),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(proc=proc, port=port, log=log)
    try:
        wait_for_port(port, proc, timeout=30)
        deadline = time.monotonic() + 30
        while len(served.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(served.workers()) == workers, "the workers did not start"
        yield served
    except BaseException:
        sys.stderr.write(served.log_text()[-4000:])
        raise
    finally:
        stop_group(proc)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (openssl CLI)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


@dataclass
class Nginx:
    proc: subprocess.Popen[bytes]
    port: int
    conf: Path
    tmp: Path
    cert: Path

    def signal(self, action: str) -> None:
        """``nginx -s reload|quit`` against this instance."""
        subprocess.run(
            [NGINX, "-p", str(self.tmp), "-c", str(self.conf), "-s", action],
            check=True,
            timeout=10,
            capture_output=True,
        )

    def error_log(self) -> str:
        path = self.tmp / "nginx-error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def render_site(
    site: Site,
    *,
    port: int,
    upstream: int | Sequence[int],
    cert: Path,
    key: Path,
    tmp: Path,
) -> Path:
    """`ondas deploy nginx` for nodes on 127.0.0.1: one port, or several."""
    path = tmp / "site.conf"
    ports = [upstream] if isinstance(upstream, int) else list(upstream)
    upstreams = [arg for p in ports for arg in ("--upstream", f"127.0.0.1:{p}")]
    subprocess.run(
        [
            ONDAS,
            "deploy",
            "nginx",
            "--listen",
            f"127.0.0.1:{port}",
            "--http-listen",
            "",
            "--server-name",
            "localhost",
            "--certificate",
            str(cert),
            "--certificate-key",
            str(key),
            *upstreams,
            "--access-log",
            str(tmp / "access.log"),
            "--cache-dir",
            str(tmp / "cache"),
            "--output",
            str(path),
        ],
        env=site.env | {"ONDAS_AUDIO_ACCEL_PREFIX": ACCEL_PREFIX},
        check=True,
        timeout=60,
        capture_output=True,
    )
    return path


@contextmanager
def nginx_running(
    site: Site,
    *,
    upstream: int | Sequence[int],
    connections: int = 1024,
    workers: int = 1,
    edit: dict[str, str] | None = None,
) -> Iterator[Nginx]:
    """Debian's nginx with the site `ondas deploy nginx` renders for the node
    (or nodes) on ``upstream``, TLS on 127.0.0.1."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail("nginx is missing: `make test` installs it (nginx-light)")
    tmp = site.root / f"nginx-{free_port()}"
    tmp.mkdir()
    cert, key = make_certificate(tmp)
    port = free_port()
    site_conf = render_site(
        site, port=port, upstream=upstream, cert=cert, key=key, tmp=tmp
    )
    if edit:
        text = site_conf.read_text()
        for old, new in edit.items():
            assert old in text, old
            text = text.replace(old, new)
        site_conf.write_text(text)
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_MAIN.format(
            tmp=tmp,
            site=site_conf,
            connections=connections,
            workers=workers,
            nofile=max(4096, connections * 2 + 64),
        )
    )
    argv = [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")]
    checked = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    nginx = Nginx(proc=proc, port=port, conf=conf, tmp=tmp, cert=cert)
    try:
        wait_for_port(port, proc, timeout=15)
        yield nginx
    except BaseException:
        sys.stderr.write(nginx.error_log()[-4000:])
        raise
    finally:
        stop_group(proc, timeout=10)


def get(
    port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def nginx_ask(
    nginx: Nginx, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request to nginx over TLS (its own certificate trusted), redirects
    not followed: the status, the headers by lower-case name, the body."""
    context = ssl.create_default_context(cafile=str(nginx.cert))
    conn = http.client.HTTPSConnection(
        "127.0.0.1", nginx.port, context=context, timeout=20
    )
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def have(tool: str) -> str:
    """Return the tool's path, failing (not skipping) when it is missing."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: `make test` installs it")
    return path
