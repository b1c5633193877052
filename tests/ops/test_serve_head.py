"""When a request head is whole, as the worker's poller decides before a thread."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from ondas.ops.serve_head import (
    TOO_MANY_CONNECTIONS,
    HeadState,
    client_key,
    head_state,
    is_exempt,
    refuse,
)


@pytest.mark.parametrize(
    ("data", "state"),
    [
        (b"", HeadState.INCOMPLETE),
        (b"GET / HTTP/1.1\r\nHost: a\r\n", HeadState.INCOMPLETE),
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r", HeadState.INCOMPLETE),
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", HeadState.COMPLETE),
        (b"GET / HTTP/1.1\r\n\r\nPOST /next", HeadState.COMPLETE),
        # Gunicorn rejects a bare LF at once: no point waiting for more.
        (b"GET / HTTP/1.1\nHost: a\n", HeadState.BAD),
        (b"GET /" + b"a" * 200 + b" HTTP/1.1\r\n", HeadState.BAD),
    ],
)
def test_head_state(data: bytes, state: HeadState) -> None:
    assert head_state(data, max_size=100) is state


def test_trusted_proxy_addresses_are_exempt_from_the_cap() -> None:
    loopback = [ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("::1")]
    assert is_exempt("127.0.0.1", loopback)
    assert not is_exempt("127.0.0.2", loopback)
    assert not is_exempt("203.0.113.9", loopback)
    assert is_exempt("203.0.113.9", None)  # FORWARDED_ALLOW_IPS="*"
    assert client_key(("203.0.113.9", 5555)) == "203.0.113.9"
    assert client_key("/run/ondas.sock") is None


def test_a_refused_client_reads_the_answer_and_an_orderly_end() -> None:
    """The head the client sent is unread at the refusal: no reset follows the 429."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname(), timeout=5)
        with client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
            time.sleep(0.05)  # the head is in the server's receive buffer
            accepted, _ = listener.accept()
            refuse(accepted, TOO_MANY_CONNECTIONS)
            received = b""
            while chunk := client.recv(4096):  # ECONNRESET here before
                received += chunk
    assert received == TOO_MANY_CONNECTIONS
    assert accepted.fileno() == -1
