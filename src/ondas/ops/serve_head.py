"""Request heads read by the worker's poller, before any thread is committed.

A slow client (one header line a second, or nothing at all after connecting)
must not hold one of the worker's few threads: Gunicorn's gthread worker hands
a connection to a thread as soon as its first byte arrives and the thread then
parses the head on a blocking socket with no deadline. Here the poller reads
the head without blocking, a connection goes to a thread only once its head is
complete (or certainly bad, so the thread answers 400/431 at once), and a head
that is not complete ``timeout`` seconds after it began is closed.

``HeadLimits.per_client`` caps the connections one client address holds in a
worker at the same time; addresses Gunicorn trusts as proxies
(``--forwarded-allow-ips``, loopback by default: nginx) are exempt, since
every connection through the proxy comes from its address.
"""

from __future__ import annotations

import enum
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gunicorn.workers.gthread import TConn

HEAD_END = b"\r\n\r\n"
# Said to a client over its address's cap, before closing.
_CAP_BODY = b"Too many connections from your address.\n"
TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 429 Too Many Requests\r\n"
    b"Connection: close\r\n"
    b"Content-Type: text/plain\r\n"
    b"Retry-After: 5\r\n"
    b"Content-Length: %d\r\n"
    b"\r\n%s" % (len(_CAP_BODY), _CAP_BODY)
)


# What a refusal reads and throws away of the request already sent, at most.
_DRAIN_MAX = 64 * 1024


def _drain(sock: socket.socket) -> None:
    taken = 0
    while taken < _DRAIN_MAX:
        try:
            data = sock.recv(8192)
        except OSError:  # nothing more for now, or the peer is gone
            return
        if not data:
            return
        taken += len(data)


def refuse(sock: socket.socket, answer: bytes) -> None:
    """Send ``answer`` and close, so that the client can read it.

    Closing a TCP socket that still holds unread bytes (the request head the
    client sent) makes Linux reset the connection instead of ending it, and a
    client reading after the reset gets ``ECONNRESET``, not the answer. What
    has arrived is read and dropped first, and the write side shut before the
    close; bytes that come later may still meet a reset.
    """
    sock.setblocking(False)
    _drain(sock)
    try:
        sock.send(answer)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the client has gone already
    _drain(sock)
    sock.close()


@dataclass(frozen=True)
class HeadLimits:
    """How long a request head may take to arrive, and connections per client."""

    timeout: float = 10.0
    per_client: int = 64


class HeadState(enum.Enum):
    INCOMPLETE = "incomplete"
    COMPLETE = "complete"
    # Bad already (bare LF, too long): a thread answers 4xx without waiting.
    BAD = "bad"


def head_state(data: bytes | bytearray, *, max_size: int) -> HeadState:
    """Say whether ``data`` holds a whole request head, as Gunicorn will parse it."""
    if HEAD_END in data:
        return HeadState.COMPLETE
    # Gunicorn accepts CRLF line ends only and rejects a bare LF at once.
    if data.count(b"\n") != data.count(b"\r\n"):
        return HeadState.BAD
    if len(data) > max_size:
        return HeadState.BAD
    return HeadState.INCOMPLETE


def max_head_size(cfg: Any) -> int:
    """The most bytes a head Gunicorn would accept can have (0 limits: 1 MiB)."""
    line = cfg.limit_request_line
    fields = cfg.limit_request_fields
    field_size = cfg.limit_request_field_size
    if not (line and fields and field_size):
        return 1 << 20
    return int(line + fields * (field_size + 2) + 8)


class ClientConn(TConn):  # type: ignore[misc]
    """A client connection, with the head bytes its worker's poller has read.

    ``waiting`` is true while the poller waits for the head; ``deadline`` is
    when it gives up. The bytes go to Gunicorn's parser before it reads the
    socket itself (``init`` for a new connection, ``hand_over_head`` for a
    kept-alive one). ``on_close`` runs once, whoever closes the connection.
    """

    def __init__(
        self,
        cfg: Any,
        sock: socket.socket,
        client: Any,
        server: Any,
        *,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(cfg, sock, client, server)
        self.head = bytearray()
        self.waiting = False
        self.deadline = 0.0
        self._on_close = on_close

    def init(self) -> None:
        fresh = not self.initialized
        super().init()
        if fresh:
            self.hand_over_head()

    def hand_over_head(self) -> None:
        """Put the bytes read so far back in front of the parser's input."""
        if self.head and self.parser is not None:
            self.parser.unreader.unread(bytes(self.head))
            self.head.clear()

    def take_read_ahead(self) -> None:
        """Move what the parser read past the last request into ``head``."""
        if self.parser is not None:
            self.head[:0] = self.parser.unreader.take_buffered()

    def close(self, graceful: bool = False) -> None:
        try:
            super().close(graceful)
        finally:
            callback, self._on_close = self._on_close, None
            if callback is not None:
                callback()


def exempt_networks(
    cfg: Any,
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """The networks free of the per-client cap; None when every address is."""
    if "*" in cfg.forwarded_allow_ips:
        return None
    return [ipaddress.ip_network(addr) for addr in cfg.forwarded_allow_ips]


def client_key(address: Any) -> str | None:
    """The client's IP address as counted for the cap; None for a Unix socket."""
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None


def is_exempt(
    key: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None
) -> bool:
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address(key)
    except ValueError:
        return False
    return any(ip in network for network in networks)
