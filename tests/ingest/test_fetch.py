"""Fetching: SSRF guard, bounds on time, size and redirects, conditional GET."""

from __future__ import annotations

import gzip
import ipaddress
import socket
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from ondas.core.errors import ErrorCode
from ondas.ingest import fetch as fetch_module
from ondas.ingest.errors import (
    FeedAddressRefused,
    FeedDNSFailed,
    FeedError,
    FeedHTTPError,
    FeedTimeout,
    FeedTooLarge,
    FeedTooManyRedirects,
    FeedTruncated,
    FeedURLInvalid,
)
from ondas.ingest.fetch import FetchPolicy, address_allowed, fetch_url
from tests.support.feeds import FeedServer, Reply


def _policy(**changes: Any) -> FetchPolicy:
    values: dict[str, Any] = {
        "timeout": 2.0,
        "max_bytes": 100_000,
        "max_redirects": 3,
        "allowed_hosts": frozenset(),
        "allowed_networks": (),
    }
    values.update(changes)
    return FetchPolicy(**values)


def _local(**changes: Any) -> FetchPolicy:
    return _policy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),), **changes)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_address_allowed_refuses_non_public_addresses(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert address_allowed(ip, host="feeds.example", policy=_policy()) is False


def test_address_allowed_accepts_public_and_allow_listed() -> None:
    policy = _policy(allowed_networks=(ipaddress.ip_network("10.0.0.0/8"),))
    assert address_allowed(
        ipaddress.ip_address("93.184.215.14"), host="x", policy=policy
    )
    assert address_allowed(ipaddress.ip_address("10.9.9.9"), host="x", policy=policy)
    assert not address_allowed(
        ipaddress.ip_address("192.168.0.1"), host="x", policy=policy
    )


def test_allow_listed_host_never_reaches_metadata() -> None:
    policy = _policy(allowed_hosts=frozenset({"intranet.example"}))
    assert address_allowed(
        ipaddress.ip_address("10.0.0.5"), host="intranet.example", policy=policy
    )
    assert not address_allowed(
        ipaddress.ip_address("169.254.169.254"), host="intranet.example", policy=policy
    )


def test_fetch_refuses_loopback_unless_allow_listed(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", Reply(b"<rss/>"))
    with pytest.raises(FeedAddressRefused) as exc_info:
        fetch_url(url, policy=_policy())
    assert exc_info.value.code == ErrorCode.FEED_ADDRESS_REFUSED
    assert exc_info.value.message == (
        "“127.0.0.1” points to 127.0.0.1, a private, local or reserved address; "
        "Ondas does not fetch feeds from there."
    )
    assert feed_server.requests == []  # refused before connecting
    allowed = _policy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
    result = fetch_url(url, policy=allowed)
    assert (result.status, result.body, result.address) == (200, b"<rss/>", "127.0.0.1")


def test_fetch_checks_the_resolved_address_not_the_name(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public-looking name that resolves to loopback is refused."""
    real = socket.getaddrinfo

    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        return real(
            "127.0.0.1" if host == "feeds.example.com" else host, port, *args, **kwargs
        )

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(FeedAddressRefused):
        fetch_url(
            f"http://feeds.example.com:{feed_server.port}/feed.xml", policy=_policy()
        )


def test_fetch_checks_the_address_actually_connected(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the socket ends up somewhere else than the checked address, refuse."""
    monkeypatch.setattr(
        fetch_module,
        "_resolve",
        lambda host, port, deadline, timeout: [ipaddress.ip_address("93.184.215.14")],
    )
    real_connect = socket.create_connection
    monkeypatch.setattr(
        socket,
        "create_connection",
        lambda address, timeout: real_connect(("127.0.0.1", address[1]), timeout),
    )
    with pytest.raises(FeedAddressRefused) as exc_info:
        fetch_url(f"http://feeds.example.com:{feed_server.port}/x", policy=_policy())
    assert exc_info.value.data["address"] == "127.0.0.1"


def test_fetch_refuses_a_redirect_to_a_private_address(
    feed_server: FeedServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo
    # "public.test" stands for a public server; its redirect points inside.
    monkeypatch.setattr(
        fetch_module,
        "address_allowed",
        lambda address, *, host, policy: host == "public.test",
    )
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: real(
            "127.0.0.1" if host == "public.test" else host, port, *a, **k
        ),
    )
    feed_server.serve(
        "/start", Reply(status=302, headers={"Location": "http://10.0.0.1/admin"})
    )
    with pytest.raises(FeedAddressRefused) as exc_info:
        fetch_url(f"http://public.test:{feed_server.port}/start", policy=_policy())
    assert exc_info.value.data == {"host": "10.0.0.1", "address": "10.0.0.1"}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/feed",
        "file:///etc/passwd",
        "gopher://x",
        "http://",
        "javascript:alert(1)",
    ],
)
def test_fetch_refuses_other_schemes(url: str) -> None:
    with pytest.raises(FeedURLInvalid):
        fetch_url(url, policy=_policy())


def test_fetch_unresolvable_name() -> None:
    with pytest.raises(FeedDNSFailed) as exc_info:
        fetch_url("http://no-such-feed.invalid/feed.xml", policy=_policy())
    assert (
        exc_info.value.message
        == "The name “no-such-feed.invalid” could not be resolved."
    )


@pytest.mark.usefixtures("allow_loopback")
class TestBounds:
    def test_slow_body_hits_the_deadline(self, feed_server: FeedServer) -> None:
        url = feed_server.serve("/slow", Reply(b"x" * 4096, dribble=0.05))
        with pytest.raises(FeedTimeout) as exc_info:
            fetch_url(url, policy=_local(timeout=0.3))
        assert exc_info.value.code == ErrorCode.FEED_TIMEOUT

    def test_slow_headers_hit_the_deadline(self, feed_server: FeedServer) -> None:
        url = feed_server.serve("/late", Reply(b"<rss/>", delay=1.0))
        with pytest.raises(FeedTimeout):
            fetch_url(url, policy=_local(timeout=0.3))

    def test_declared_size_over_the_limit(self, feed_server: FeedServer) -> None:
        url = feed_server.serve("/big", Reply(b"x" * 2000))
        with pytest.raises(FeedTooLarge):
            fetch_url(url, policy=_local(max_bytes=1000))

    def test_undeclared_size_over_the_limit(self, feed_server: FeedServer) -> None:
        url = feed_server.serve("/big", Reply(b"x" * 5000, declared_length=-1))
        with pytest.raises(FeedTooLarge):
            fetch_url(url, policy=_local(max_bytes=1000))

    def test_gzip_bomb_is_bounded(self, feed_server: FeedServer) -> None:
        bomb = gzip.compress(b"\0" * 5_000_000)
        url = feed_server.serve(
            "/bomb", Reply(bomb, headers={"Content-Encoding": "gzip"})
        )
        with pytest.raises(FeedTooLarge):
            fetch_url(url, policy=_local(max_bytes=100_000))

    def test_gzip_is_decoded(self, feed_server: FeedServer) -> None:
        url = feed_server.serve(
            "/gz", Reply(gzip.compress(b"<rss/>"), headers={"Content-Encoding": "gzip"})
        )
        assert fetch_url(url, policy=_local()).body == b"<rss/>"

    def test_cut_off_body_is_truncated(self, feed_server: FeedServer) -> None:
        url = feed_server.serve("/cut", Reply(b"<rss>half", declared_length=5000))
        with pytest.raises(FeedTruncated) as exc_info:
            fetch_url(url, policy=_local())
        assert exc_info.value.data == {"received": 9, "expected": 5000}

    def test_redirect_limit(self, feed_server: FeedServer) -> None:
        for n in range(5):
            feed_server.serve(
                f"/r{n}", Reply(status=301, headers={"Location": f"/r{n + 1}"})
            )
        with pytest.raises(FeedTooManyRedirects):
            fetch_url(feed_server.url("/r0"), policy=_local(max_redirects=3))

    def test_permanent_redirect_is_reported(self, feed_server: FeedServer) -> None:
        feed_server.serve("/old", Reply(status=301, headers={"Location": "/new"}))
        feed_server.serve("/new", Reply(b"<rss/>"))
        result = fetch_url(feed_server.url("/old"))
        assert (result.url, result.permanent_redirect) == (
            feed_server.url("/new"),
            True,
        )

    @pytest.mark.parametrize("status", [404, 410, 500, 503])
    def test_http_errors(self, feed_server: FeedServer, status: int) -> None:
        url = feed_server.serve("/err", Reply(b"oops", status=status))
        with pytest.raises(FeedHTTPError) as exc_info:
            fetch_url(url)
        assert exc_info.value.data == {"status": status}

    def test_conditional_get(self, feed_server: FeedServer) -> None:
        url = feed_server.serve(
            "/feed.xml",
            Reply(
                b"<rss/>",
                etag='"v1"',
                headers={"Last-Modified": "Mon, 06 Jan 2025 10:00:00 GMT"},
            ),
        )
        first = fetch_url(url)
        assert (first.etag, first.last_modified) == (
            '"v1"',
            "Mon, 06 Jan 2025 10:00:00 GMT",
        )
        second = fetch_url(url, etag=first.etag, last_modified=first.last_modified)
        assert second.not_modified is True
        headers = feed_server.requests[-1][1]
        assert headers["If-None-Match"] == '"v1"'
        assert headers["If-Modified-Since"] == "Mon, 06 Jan 2025 10:00:00 GMT"
        assert headers["Host"] == f"127.0.0.1:{feed_server.port}"

    def test_head_bytes_asks_for_a_range(self, feed_server: FeedServer) -> None:
        """A file's first bytes: one Range request, answered 206, however big the
        file (bigger than the size cap here)."""
        audio = bytes(range(256)) * 1000
        url = feed_server.serve("/a.bin", Reply(audio, ranges=True))
        result = fetch_url(url, policy=_local(max_bytes=1000), head_bytes=512)
        assert (result.status, result.body) == (206, audio[:512])
        headers = feed_server.requests[-1][1]
        assert (headers["Range"], headers["Accept-Encoding"]) == (
            "bytes=0-511",
            "identity",
        )

    def test_head_bytes_from_a_server_without_ranges(
        self, feed_server: FeedServer
    ) -> None:
        """A 200 with the whole file is read no further than the bytes asked for."""
        audio = bytes(range(256)) * 4000
        url = feed_server.serve("/a.bin", Reply(audio))
        result = fetch_url(url, policy=_local(max_bytes=1000), head_bytes=512)
        assert (result.status, result.body) == (200, audio[:512])

    def test_head_bytes_of_a_short_file(self, feed_server: FeedServer) -> None:
        url = feed_server.serve("/a.bin", Reply(b"tiny", ranges=True))
        assert fetch_url(url, policy=_local(), head_bytes=512).body == b"tiny"


def test_every_refusal_is_a_feed_error() -> None:
    for error in (
        FeedAddressRefused,
        FeedDNSFailed,
        FeedTimeout,
        FeedTooLarge,
        FeedTruncated,
    ):
        assert issubclass(error, FeedError)
