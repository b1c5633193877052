"""Bad input on the wire, refused by the right layer; everyone else still served.

`ondas serve` (Gunicorn) answers malformed HTTP and oversized header blocks
itself, and Django refuses paths that climb out of the media root. A client
that dribbles its headers is nginx's to cut off (``client_header_timeout``):
Gunicorn gives it a thread for as long as it dribbles, so a worker with spare
threads keeps serving, but only nginx in front bounds it.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest

from tests.support.servers import (
    Nginx,
    Served,
    Site,
    get,
    nginx_running,
    ondas_serve,
    temporary_site,
)

pytestmark = pytest.mark.slow

SECRET = b"do-not-serve-me"
# nginx's own error pages end so; Ondas's (proxied) do not.
NGINX_PAGE = b"<center>nginx</center>"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with temporary_site(size=100_000) as made:
        # A file beside the media root that no URL may reach.
        (made.root / "secret.txt").write_bytes(SECRET)
        yield made


@pytest.fixture(scope="module")
def app(site: Site) -> Iterator[Served]:
    with ondas_serve(site, workers=1, threads=4, name="bad") as served:
        yield served


def _raw(port: int, payload: bytes, *, tls: Nginx | None = None) -> bytes:
    """Send ``payload`` as is and return everything the server says back."""
    sock: socket.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls is not None:
        context = ssl.create_default_context(cafile=str(tls.cert))
        context.set_alpn_protocols(["http/1.1"])
        sock = context.wrap_socket(sock, server_hostname="localhost")
    try:
        sock.sendall(payload)
        answer = b""
        while True:
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not data:
                break
            answer += data
        return answer
    finally:
        sock.close()


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.") else 0


def _still_serving(port: int) -> None:
    response, body = get(port, "/healthz")
    assert response.status == 200 and body == b'{"status": "alive"}'


def test_garbage_on_the_socket_gets_400_and_the_worker_serves_on(app: Served) -> None:
    workers = app.workers()
    for payload in (
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
    ):
        answer = _raw(app.port, payload)
        assert _status(answer) == 400, (payload[:20], answer[:100])
    _still_serving(app.port)
    assert app.workers() == workers, "a worker died on bad input"


def test_header_block_over_the_limit_is_refused_by_gunicorn(app: Served) -> None:
    huge_field = b"X-Big: " + b"a" * 9000 + b"\r\n"
    many_fields = b"".join(b"X-N%d: 1\r\n" % n for n in range(150))
    for headers in (huge_field, many_fields):
        answer = _raw(
            app.port,
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n",
        )
        assert _status(answer) in (400, 431), answer[:200]
    long_line = b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    assert _status(_raw(app.port, long_line)) in (400, 414)
    _still_serving(app.port)


@pytest.mark.parametrize(
    "path",
    [
        "/media/artwork/../../secret.txt",
        "/media/artwork/..%2f..%2fsecret.txt",
        "/media/artwork/%2e%2e/%2e%2e/secret.txt",
        "/media/artwork//" + "..//" * 6 + "etc/passwd",
        "/media/artwork/..\\..\\secret.txt",
    ],
)
def test_paths_outside_the_media_root_are_refused_by_ondas(
    app: Served, path: str
) -> None:
    """Django's static serve says 400 (SuspiciousFileOperation) or 404 (no file)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answer = _raw(app.port, request.encode())
    assert _status(answer) in (400, 404), answer[:200]
    assert b"Server: gunicorn" in answer
    assert SECRET not in answer and b"root:" not in answer


def _dribble(
    port: int,
    seconds: float,
    outcome: dict[str, object],
    started_event: threading.Event,
) -> None:
    """Send a request's headers one byte every 0.3 s: a slowloris client."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=seconds + 10)
    started = time.monotonic()
    try:
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 200
        for byte in request:
            if time.monotonic() - started > seconds:
                break
            sock.sendall(bytes([byte]))
            started_event.set()
            time.sleep(0.3)
        outcome["still_open_after"] = time.monotonic() - started
    except OSError as exc:
        outcome["cut_after"] = time.monotonic() - started
        outcome["error"] = repr(exc)
    finally:
        sock.close()


def test_slowloris_on_gunicorn_holds_one_thread_and_others_are_served(
    app: Served,
) -> None:
    outcome: dict[str, object] = {}
    sending = threading.Event()
    slow = threading.Thread(target=_dribble, args=(app.port, 4.0, outcome, sending))
    slow.start()
    assert sending.wait(timeout=10), "the slow client never sent a byte"
    try:
        started = time.monotonic()
        for _ in range(20):
            _still_serving(app.port)
        assert time.monotonic() - started < 5
    finally:
        slow.join(timeout=20)
    # Gunicorn does not cut it off: that is nginx's job (next test).
    assert "still_open_after" in outcome, outcome


@pytest.fixture(scope="module")
def nginx(site: Site, app: Served) -> Iterator[Nginx]:
    edit = {"client_header_timeout 15s;": "client_header_timeout 2s;"}
    with nginx_running(site, upstream=app.port, edit=edit) as running:
        yield running


def test_slowloris_through_nginx_is_cut_off_by_client_header_timeout(
    nginx: Nginx,
) -> None:
    context = ssl.create_default_context(cafile=str(nginx.cert))
    raw = socket.create_connection(("127.0.0.1", nginx.port), timeout=10)
    sock = context.wrap_socket(raw, server_hostname="localhost")
    started = time.monotonic()
    cut = None
    try:
        for byte in (
            b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"z" * 100
        ):
            try:
                sock.sendall(bytes([byte]))
                time.sleep(0.25)
                # nginx closes the connection: the next read says so at once.
                sock.setblocking(False)
                try:
                    if sock.recv(1) == b"":
                        cut = time.monotonic() - started
                        break
                except (ssl.SSLWantReadError, BlockingIOError):
                    pass
                finally:
                    sock.setblocking(True)
            except OSError:
                cut = time.monotonic() - started
                break
    finally:
        sock.close()
    assert cut is not None and 1.5 < cut < 6, cut
    # nginx writes the access log line as it closes: poll for it.
    log = nginx.tmp / "access.log"
    deadline = time.monotonic() + 5
    while " 408 " not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert " 408 " in log.read_text()


def test_nginx_refuses_garbage_and_big_headers_and_serves_on(
    site: Site, nginx: Nginx
) -> None:
    # not TLS at all on the TLS port: the handshake fails, nothing is served
    plain = _raw(nginx.port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert plain == b"" or _status(plain) == 400
    # TLS, then garbage instead of HTTP
    assert _status(_raw(nginx.port, b"\x00\x01garbage\r\n\r\n", tls=nginx)) == 400
    # a header block over large_client_header_buffers (4 x 8k)
    big = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 9000
    answer = _raw(nginx.port, big + b"\r\n\r\n", tls=nginx)
    assert _status(answer) == 400 and b"Request Header Or Cookie Too Large" in answer
    assert NGINX_PAGE in answer
    # a path that climbs above the root: nginx refuses it itself
    escape = b"GET /media/artwork/../../../secret.txt HTTP/1.1\r\nHost: localhost\r\n"
    answer = _raw(nginx.port, escape + b"Connection: close\r\n\r\n", tls=nginx)
    assert _status(answer) == 400 and NGINX_PAGE in answer
    assert SECRET not in answer
    # one that stays below it goes to Ondas as sent, which refuses it
    inside = b"GET /media/artwork/../../secret.txt HTTP/1.1\r\nHost: localhost\r\n"
    answer = _raw(nginx.port, inside + b"Connection: close\r\n\r\n", tls=nginx)
    assert _status(answer) in (400, 404) and NGINX_PAGE not in answer
    assert SECRET not in answer
    # and a good request right after all that
    good = _raw(
        nginx.port,
        f"GET {site.audio_path} HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-9\r\n"
        "Connection: close\r\n\r\n".encode(),
        tls=nginx,
    )
    assert _status(good) == 206 and good.endswith(site.data[:10])
