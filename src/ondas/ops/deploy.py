"""`ondas deploy nginx`: the nginx site for this installation, from its settings.

The site terminates TLS (HTTP/2 by ALPN, kernel TLS where the kernel and
OpenSSL have it), serves static files and artwork itself, keeps a pool of
kept-alive connections to `ondas serve`, and sends audio from an internal
location after Ondas has said yes: nginx asks Ondas (``auth_request``) on
every audio request and may keep a yes for ``ONDAS_AUDIO_RIGHTS_TTL`` seconds
per file and session; nginx does Range, validators and ``sendfile``. Refusals
and odd cases go to Ondas's audio view, which answers them or hands the bytes
back by ``X-Accel-Redirect``. ``deploy/nginx/ondas.conf`` in the repository is this renderer's
output for example settings (a test keeps the two equal).

One `ondas serve` or several: each ``--upstream`` (or ``ONDAS_UPSTREAMS``)
is a node, and nginx routes around one that fails (``ONDAS_UPSTREAM_MAX_FAILS``
within ``ONDAS_UPSTREAM_FAIL_TIMEOUT``); the template's comments say which
requests it sends on to the next node.

Written for Debian's nginx 1.22: ``listen … ssl http2`` (1.25.1 moved HTTP/2
to an ``http2 on;`` directive, which 1.22 does not know).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.template import Context, Engine

from ondas.ops.nginx_site_template import SITE_TEMPLATE

DEFAULT_ACCEL_PREFIX = "/_protected_media/"
# A value that can stand in an nginx directive without quoting or escaping.
_SAFE_VALUE = re.compile(r"[^\s;{}\"'#\\$]+")
# host:port, the host a name, an IPv4 address or an [IPv6] address. Names may
# hold "_" (container names do; nginx's resolver takes them).
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_UPSTREAM = re.compile(
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})*|\[(?P<ipv6>[0-9A-Fa-f:.]+)\]):(?P<port>[0-9]{{1,5}})"
)
# nginx's time syntax, as fail_timeout takes it: 2s, 500ms, 1m, 10 (seconds).
_NGINX_TIME = re.compile(r"[0-9]+(?:ms|s|m|h)?")


@dataclass(frozen=True)
class NginxSite:
    server_name: str
    listen: tuple[str, ...]
    http_listen: str
    certificate: str
    certificate_key: str
    # The `ondas serve` nodes, host:port each (checked by upstream_address).
    upstreams: tuple[str, ...]
    static_url: str
    static_root: str
    media_url: str
    media_root: str
    accel_prefix: str
    access_log: str
    audio_log: str
    max_body_size: str
    cache_dir: str
    session_cookie: str
    # Whether ONDAS_METRICS_TOKEN is set (never the token: nginx needs none).
    metrics_token: bool = False
    # ONDAS_UPLOAD_MAX_BYTES: what one studio upload may weigh in all.
    upload_max_bytes: int = 2 * 1024**3
    # The S3 endpoint's scheme and host[:port] when S3 is configured, else "".
    s3_scheme: str = ""
    s3_host: str = ""
    s3_hostname: str = ""
    s3_accel_prefix: str = "/_s3_media/"
    # With several upstreams: nginx's max_fails and fail_timeout for each.
    max_fails: int = 1
    fail_timeout: str = "2s"

    @property
    def several(self) -> bool:
        return len(self.upstreams) > 1


def upstream_address(value: str) -> str:
    """Return ``value`` as nginx's upstream takes it; refuse what is no
    host:port with a message that names it."""
    match = _UPSTREAM.fullmatch(value.strip())
    if match is None:
        raise ValueError(
            f"upstream {value!r} is not host:port (a name, an IPv4 address "
            "or an [IPv6] address, then a port)"
        )
    host = match["host"]
    if host is not None and re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(f"upstream {value!r}: no IPv4 address") from None
    if not 1 <= int(match["port"]) <= 65535:
        raise ValueError(f"upstream {value!r}: the port must be 1 to 65535")
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            raise ValueError(f"upstream {value!r}: no IPv6 address") from None
    return match.group(0)


def _listen_addresses(listen: str) -> tuple[str, ...]:
    """A bare port listens on IPv4 and IPv6; an address on that address only."""
    if listen.isdigit():
        return (listen, f"[::]:{listen}")
    return (listen,)


def nginx_site_from_settings(
    *,
    listen: str = "443",
    http_listen: str = "80",
    server_name: str | None = None,
    certificate: str | None = None,
    certificate_key: str | None = None,
    upstreams: Sequence[str] | None = None,
    access_log: str = "/var/log/nginx/ondas.access.log",
    audio_log: str | None = None,
    max_body_size: str = "512m",
    cache_dir: str | None = None,
) -> NginxSite:
    """Describe the site from Ondas's settings; arguments override them.

    ``upstreams`` default to ``ONDAS_UPSTREAMS``, else ``ONDAS_HOST:ONDAS_PORT``
    (where `ondas serve` listens by default). Raises ValueError for an
    address that is no host:port, one named twice, or limits nginx would not
    take.
    """
    name = (
        server_name
        or settings.ONDAS_SERVER_NAME
        or urlsplit(settings.SITE_URL).hostname
        or "localhost"
    )
    return NginxSite(
        server_name=name,
        listen=_listen_addresses(listen),
        http_listen=http_listen,
        certificate=certificate or settings.ONDAS_TLS_CERTIFICATE,
        certificate_key=certificate_key or settings.ONDAS_TLS_CERTIFICATE_KEY,
        upstreams=_upstreams(upstreams),
        max_fails=settings.ONDAS_UPSTREAM_MAX_FAILS,
        fail_timeout=settings.ONDAS_UPSTREAM_FAIL_TIMEOUT,
        static_url=settings.STATIC_URL,
        static_root=str(Path(settings.STATIC_ROOT)).rstrip("/"),
        media_url=settings.MEDIA_URL,
        media_root=str(Path(settings.MEDIA_ROOT)).rstrip("/"),
        accel_prefix=settings.ONDAS_AUDIO_ACCEL_PREFIX or DEFAULT_ACCEL_PREFIX,
        access_log=access_log,
        # Beside the access log unless named: ondas.audio.json.
        audio_log=audio_log or str(Path(access_log).with_name("ondas.audio.json")),
        max_body_size=max_body_size,
        cache_dir=str(Path(cache_dir or settings.ONDAS_NGINX_CACHE_DIR)).rstrip("/"),
        session_cookie=settings.SESSION_COOKIE_NAME,
        metrics_token=bool(settings.ONDAS_METRICS_TOKEN),
        upload_max_bytes=settings.ONDAS_UPLOAD_MAX_BYTES,
        **_s3_endpoint(),
    )


def _upstreams(given: Sequence[str] | None) -> tuple[str, ...]:
    """The nodes' addresses, checked, each once."""
    names = list(given or settings.ONDAS_UPSTREAMS or [])
    if not names:
        host = os.environ.get("ONDAS_HOST", "127.0.0.1")
        names = [f"{host}:{os.environ.get('ONDAS_PORT', '8000')}"]
    addresses = tuple(upstream_address(name) for name in names)
    for address in addresses:
        if addresses.count(address) > 1:
            raise ValueError(f"upstream {address!r} is named twice")
    return addresses


def _s3_endpoint() -> dict[str, str]:
    """The S3 endpoint's parts for the site, from ``STORAGES["s3"]``, or none."""
    entry = settings.STORAGES.get("s3")
    if entry is None:
        return {}
    parts = urlsplit(str(entry["OPTIONS"]["endpoint_url"]))
    if parts.path.strip("/"):
        raise ValueError(
            "ONDAS_S3_ENDPOINT_URL must have no path for nginx to proxy it: "
            f"{parts.geturl()!r}"
        )
    return {
        "s3_scheme": parts.scheme,
        "s3_host": parts.netloc,
        "s3_hostname": parts.hostname or "",
        "s3_accel_prefix": settings.ONDAS_S3_ACCEL_PREFIX,
    }


def nginx_site_render(site: NginxSite) -> str:
    """Return the site's configuration text; refuse values nginx would misread."""
    values: dict[str, object] = dict(site.__dict__)
    if not site.upstreams:
        raise ValueError("upstreams: at least one `ondas serve` address")
    for address in site.upstreams:
        upstream_address(address)
    if site.max_fails < 0:
        raise ValueError(f"max_fails: {site.max_fails} must be 0 or more")
    if not _NGINX_TIME.fullmatch(site.fail_timeout):
        raise ValueError(
            f"fail_timeout: {site.fail_timeout!r} is no nginx time (2s, 500ms, 1m)"
        )
    for key, value in values.items():
        for item in value if isinstance(value, tuple) else (value,):
            if item and not _SAFE_VALUE.fullmatch(str(item)):
                raise ValueError(f"{key}: {item!r} cannot stand in an nginx directive")
    for key in ("static_url", "media_url", "accel_prefix", "s3_accel_prefix"):
        value = str(values[key])
        if not (value.startswith("/") and value.endswith("/")):
            raise ValueError(f"{key}: {value!r} must start and end with '/'")
    if not re.fullmatch(r"[A-Za-z0-9_]+", site.session_cookie):
        raise ValueError(
            f"session_cookie: {site.session_cookie!r} is no nginx $cookie_ name"
        )
    values["several"] = site.several
    # Each node once; one node is written twice (see the template), so two.
    values["next_upstream_tries"] = max(2, len(site.upstreams))
    engine = Engine(autoescape=False)
    return engine.from_string(SITE_TEMPLATE).render(Context(values))
