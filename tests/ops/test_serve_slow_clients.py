"""`ondas serve` alone against slow clients (slowloris), with real processes.

A connection reaches one of the worker's few threads only once its whole
request head is there; a head has a total deadline; one client address holds
a bounded number of connections in each worker.
"""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Iterator

import pytest

from tests.support.servers import Site, get, ondas_serve, temporary_site

pytestmark = pytest.mark.slow

SLOW_CONNECTIONS = 1000
HEAD_TIMEOUT = 4.0


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with temporary_site(size=64 * 1024) as made:
        yield made


def _room_for(descriptors: int) -> None:
    """Raise this process's soft descriptor limit to ``descriptors`` if it is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < descriptors:
        if hard != resource.RLIM_INFINITY and hard < descriptors:
            pytest.fail(
                f"the hard limit on descriptors ({hard}) is below {descriptors}"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, hard))


class SlowClients:
    """Connections that each send a request line, then a header line a second."""

    def __init__(self, port: int, count: int, source: str = "127.0.0.1") -> None:
        self.socks: list[socket.socket] = []
        self.received: dict[int, bytearray] = {}
        self.ends: dict[int, bytes] = {}
        for _ in range(count):
            sock = socket.socket()
            sock.bind((source, 0))
            sock.connect(("127.0.0.1", port))
            sock.setblocking(False)
            self.socks.append(sock)
        self.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    def send(self, data: bytes) -> None:
        for sock in self.socks:
            try:
                sock.send(data)
            except OSError:
                pass  # closed by the server: counted by ``closed``

    def closed(self) -> list[bytes]:
        """What each connection the server has closed received before its end.

        Reads are kept across calls: a connection read once is not read as
        empty the next time.
        """
        for index, sock in enumerate(self.socks):
            if index in self.ends:
                continue
            received = self.received.setdefault(index, bytearray())
            while True:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    break
                except OSError:
                    data = b""
                if not data:
                    self.ends[index] = bytes(received)
                    break
                received += data
        return [self.ends[index] for index in sorted(self.ends)]

    def close(self) -> None:
        for sock in self.socks:
            sock.close()


def _timed_get(port: int) -> float:
    began = time.monotonic()
    response, _body = get(port, "/healthz", timeout=5)
    assert response.status == 200
    return time.monotonic() - began


def test_a_thousand_slow_clients_leave_normal_requests_fast(site: Site) -> None:
    """1,000 heads trickling in a line a second; a normal request answers < 1 s.

    The slow connections come from loopback, which is exempt from the
    per-client cap (nginx's address): only the poller holds them. None of
    them is answered (their heads never end) and each is closed once its
    head deadline has passed.
    """
    _room_for(SLOW_CONNECTIONS + 256)
    args = ("--head-timeout", str(HEAD_TIMEOUT))
    with ondas_serve(site, workers=2, threads=4, args=args) as served:
        slow = SlowClients(served.port, SLOW_CONNECTIONS)
        opened = time.monotonic()
        try:
            latencies = []
            line = 0
            while time.monotonic() - opened < HEAD_TIMEOUT - 1:
                line += 1
                slow.send(b"X-Slow-%d: still coming\r\n" % line)
                latencies.extend(_timed_get(served.port) for _ in range(3))
                time.sleep(0.5)
            assert slow.closed() == [], "a slow head was answered or closed early"
            deadline = opened + HEAD_TIMEOUT + 3
            ends: list[bytes] = []
            while time.monotonic() < deadline:
                slow.send(b"X-Late: yes\r\n")
                ends = slow.closed()
                if len(ends) == SLOW_CONNECTIONS:
                    break
                time.sleep(0.25)
            closed_after = time.monotonic() - opened
        finally:
            slow.close()
        after = _timed_get(served.port)
    print(
        f"\n{SLOW_CONNECTIONS} slow clients: normal request max "
        f"{max(latencies) * 1000:.0f} ms over {len(latencies)}, "
        f"all closed after {closed_after:.1f} s (head timeout {HEAD_TIMEOUT} s)"
    )
    assert max(latencies) < 1.0, latencies
    assert len(ends) == SLOW_CONNECTIONS, f"{len(ends)} closed by the deadline"
    assert set(ends) == {b""}, "a late head must be closed, not answered"
    assert after < 1.0


def test_one_address_over_its_cap_is_refused_others_served(site: Site) -> None:
    """An address past ``--max-client-connections`` per worker gets 429 and a close."""
    cap, workers, opened = 5, 2, 60
    args = ("--max-client-connections", str(cap))
    with ondas_serve(site, workers=workers, threads=4, args=args) as served:
        # 127.0.0.2 is loopback on Linux but not a trusted proxy address.
        slow = SlowClients(served.port, opened, source="127.0.0.2")
        try:
            deadline = time.monotonic() + 5
            refused: list[bytes] = []
            while time.monotonic() < deadline:
                refused = slow.closed()
                if len(refused) >= opened - cap * workers:
                    break
                time.sleep(0.05)
            began = time.monotonic()
            other = socket.socket()
            other.bind(("127.0.0.3", 0))
            other.settimeout(5)
            other.connect(("127.0.0.1", served.port))
            other.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = other.recv(4096)
            other.close()
            other_took = time.monotonic() - began
        finally:
            slow.close()
    assert opened - cap * workers <= len(refused) < opened, len(refused)
    assert all(end.startswith(b"HTTP/1.1 429 ") for end in refused), refused[:3]
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert other_took < 1.0
