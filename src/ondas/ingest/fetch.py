"""Fetch a feed over HTTP(S), bounded and guarded against SSRF.

- Only http and https; at most ``ONDAS_FEEDS_MAX_REDIRECTS`` redirects, each
  hop checked again.
- The host name is resolved once, every address is checked, and Ondas connects
  to the checked address itself (sending the name in ``Host`` and TLS SNI), then
  checks the peer of the socket it got: a name that resolves to a public address
  for the check and to 127.0.0.1 for the connection (DNS rebinding) gets nowhere.
- Loopback, private, link-local, shared (CGNAT), multicast, reserved and cloud
  metadata addresses are refused unless the operator allow-lists them in
  ``ONDAS_FEEDS_ALLOWED_NETWORKS`` (CIDRs) or ``ONDAS_FEEDS_ALLOWED_HOSTS``.
- One deadline for the whole exchange (``ONDAS_FEEDS_TIMEOUT``), so a server
  dribbling a byte a second does not hold a worker; a size cap
  (``ONDAS_FEEDS_MAX_BYTES``) that also bounds gzip decompression.
- Conditional requests: ``If-None-Match`` / ``If-Modified-Since``; a 304 is
  reported as ``not_modified``.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import ipaddress
import logging
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from ondas.ingest.errors import (
    FeedAddressRefused,
    FeedConnectionFailed,
    FeedDNSFailed,
    FeedHTTPError,
    FeedTimeout,
    FeedTooLarge,
    FeedTooManyRedirects,
    FeedTruncated,
    FeedURLInvalid,
)

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata services: refused even when the host name is allow-listed.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_resolver_pool = concurrent.futures.ThreadPoolExecutor(
    max_workers=4, thread_name_prefix="ondas-dns"
)


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float
    max_bytes: int
    max_redirects: int
    allowed_hosts: frozenset[str]
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def from_settings(cls) -> FetchPolicy:
        return cls(
            timeout=float(settings.ONDAS_FEEDS_TIMEOUT),
            max_bytes=int(settings.ONDAS_FEEDS_MAX_BYTES),
            max_redirects=int(settings.ONDAS_FEEDS_MAX_REDIRECTS),
            allowed_hosts=frozenset(
                h.lower().rstrip(".") for h in settings.ONDAS_FEEDS_ALLOWED_HOSTS
            ),
            allowed_networks=tuple(
                ipaddress.ip_network(n, strict=False)
                for n in settings.ONDAS_FEEDS_ALLOWED_NETWORKS
            ),
        )


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    body: bytes
    etag: str
    last_modified: str
    address: str  # the peer actually connected to
    permanent_redirect: bool = False

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def address_allowed(address: IPAddress, *, host: str, policy: FetchPolicy) -> bool:
    """Whether Ondas may connect to ``address`` (reached through ``host``)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in network for network in policy.allowed_networks):
        return True
    if address in METADATA_ADDRESSES:
        return False
    if host.lower().rstrip(".") in policy.allowed_hosts:
        return True
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int, deadline: float, timeout: float) -> list[IPAddress]:
    future = _resolver_pool.submit(
        socket.getaddrinfo, host, port, type=socket.SOCK_STREAM
    )
    try:
        infos = future.result(timeout=max(0.0, deadline - time.monotonic()))
    except concurrent.futures.TimeoutError:
        raise FeedTimeout(host=host, seconds=timeout) from None
    except (socket.gaierror, UnicodeError):
        raise FeedDNSFailed(host=host) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FeedDNSFailed(host=host)
    return addresses


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP connection over a socket Ondas opened and checked itself."""

    def __init__(self, host: str, port: int, sock: socket.socket) -> None:
        super().__init__(host, port)
        self.sock = sock

    def connect(self) -> None:  # the socket is already connected
        return


def _open_socket(
    *, host: str, port: int, tls: bool, policy: FetchPolicy, deadline: float
) -> tuple[socket.socket, str]:
    addresses = _resolve(host, port, deadline, policy.timeout)
    allowed = [a for a in addresses if address_allowed(a, host=host, policy=policy)]
    if not allowed:
        raise FeedAddressRefused(host=host, address=str(addresses[0]))
    last_error: OSError | None = None
    for address in allowed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FeedTimeout(host=host, seconds=policy.timeout)
        try:
            sock = socket.create_connection((str(address), port), timeout=remaining)
        except TimeoutError:
            raise FeedTimeout(host=host, seconds=policy.timeout) from None
        except OSError as exc:
            last_error = exc
            continue
        peer = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
        if peer != address or not address_allowed(peer, host=host, policy=policy):
            sock.close()
            raise FeedAddressRefused(host=host, address=str(peer))
        if tls:
            context = ssl.create_default_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=host)
            except TimeoutError:
                sock.close()
                raise FeedTimeout(host=host, seconds=policy.timeout) from None
            except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
                sock.close()
                raise FeedConnectionFailed(host=host, reason=str(exc)) from None
        return sock, str(peer)
    raise FeedConnectionFailed(host=host, reason=str(last_error))


def _read_body(
    response: http.client.HTTPResponse,
    sock: socket.socket,
    *,
    host: str,
    policy: FetchPolicy,
    deadline: float,
) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FeedTooLarge(limit=policy.max_bytes)
    gzip = response.getheader("Content-Encoding", "").lower() in {"gzip", "x-gzip"}
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
    chunks: list[bytes] = []
    size = raw_size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FeedTimeout(host=host, seconds=policy.timeout)
        sock.settimeout(remaining)
        try:
            chunk = response.read1(_CHUNK)
        except TimeoutError:
            raise FeedTimeout(host=host, seconds=policy.timeout) from None
        except http.client.IncompleteRead as exc:
            raise FeedTruncated(
                received=raw_size + len(exc.partial), expected=exc.expected
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise FeedConnectionFailed(host=host, reason=str(exc)) from None
        if not chunk:
            break
        raw_size += len(chunk)
        if inflater is not None:
            try:
                chunk = inflater.decompress(chunk, policy.max_bytes + 1 - size)
            except zlib.error as exc:
                raise FeedTruncated(received=raw_size) from exc
            if inflater.unconsumed_tail:
                raise FeedTooLarge(limit=policy.max_bytes)
        size += len(chunk)
        if size > policy.max_bytes:
            raise FeedTooLarge(limit=policy.max_bytes)
        chunks.append(chunk)
    if declared and declared.isdigit() and raw_size < int(declared):
        raise FeedTruncated(received=raw_size, expected=int(declared))
    if inflater is not None and not inflater.eof and raw_size:
        raise FeedTruncated(received=raw_size)
    return b"".join(chunks)


def _read_head(
    response: http.client.HTTPResponse,
    sock: socket.socket,
    *,
    size: int,
    host: str,
    policy: FetchPolicy,
    deadline: float,
) -> bytes:
    """Read the first ``size`` bytes of the body (fewer if it is shorter)."""
    chunks: list[bytes] = []
    received = 0
    while received < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FeedTimeout(host=host, seconds=policy.timeout)
        sock.settimeout(remaining)
        try:
            chunk = response.read1(min(_CHUNK, size - received))
        except TimeoutError:
            raise FeedTimeout(host=host, seconds=policy.timeout) from None
        except http.client.IncompleteRead as exc:
            chunk = exc.partial
        except (OSError, http.client.HTTPException) as exc:
            raise FeedConnectionFailed(host=host, reason=str(exc)) from None
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)[:size]


def fetch_url(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    accept: str = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
    policy: FetchPolicy | None = None,
    on_redirect: Callable[[str], None] | None = None,
    head_bytes: int = 0,
) -> FetchResult:
    """GET ``url`` within the policy's bounds; raise a FeedError on any refusal.

    Statuses other than 200 and 304 raise FeedHTTPError. With ``head_bytes``,
    ask for that many bytes from the start (a Range request; 206 is fine too)
    and read no more, however long the file.
    """
    policy = policy or FetchPolicy.from_settings()
    deadline = time.monotonic() + policy.timeout
    permanent = True
    for _hop in range(policy.max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise FeedURLInvalid(url=url)
        host = parts.hostname
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FeedURLInvalid(url=url) from None
        sock, peer = _open_socket(
            host=host,
            port=port,
            tls=parts.scheme == "https",
            policy=policy,
            deadline=deadline,
        )
        connection = _PinnedConnection(host, port, sock)
        try:
            headers = {
                "User-Agent": f"Ondas/0.1 (+{settings.SITE_URL})",
                "Accept": accept,
                "Accept-Encoding": "identity" if head_bytes else "gzip",
            }
            if head_bytes:
                headers["Range"] = f"bytes=0-{head_bytes - 1}"
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            try:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
            except TimeoutError:
                raise FeedTimeout(host=host, seconds=policy.timeout) from None
            except (OSError, http.client.HTTPException) as exc:
                raise FeedConnectionFailed(host=host, reason=str(exc)) from None
            status = response.status
            if status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FeedHTTPError(status=status)
                permanent = permanent and status in {301, 308}
                url = urljoin(url, location)
                if on_redirect is not None:
                    on_redirect(url)
                continue
            if status == 304:
                return FetchResult(
                    url, 304, b"", etag, last_modified, peer, permanent and _hop > 0
                )
            if status != 200 and not (head_bytes and status == 206):
                raise FeedHTTPError(status=status)
            if head_bytes:
                body = _read_head(
                    response,
                    sock,
                    size=head_bytes,
                    host=host,
                    policy=policy,
                    deadline=deadline,
                )
            else:
                body = _read_body(
                    response, sock, host=host, policy=policy, deadline=deadline
                )
            return FetchResult(
                url=url,
                status=status,
                body=body,
                etag=response.getheader("ETag", "")[:255],
                last_modified=response.getheader("Last-Modified", "")[:64],
                address=peer,
                permanent_redirect=permanent and _hop > 0,
            )
        finally:
            connection.close()
    raise FeedTooManyRedirects(limit=policy.max_redirects)
