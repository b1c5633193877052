"""Who may read ``/metrics``: this machine, or the bearer of the metrics token.

``/metrics`` tells request rates by route, memory and audio traffic: nothing
for strangers. With ``ONDAS_METRICS_TOKEN`` unset, only clients on loopback
get it. That is a real limit when clients reach `ondas serve` directly, but
not behind a proxy on the same machine: every request nginx forwards comes
from 127.0.0.1, so the nginx site `ondas deploy nginx` renders denies
``/metrics`` to everyone but loopback. With the token set, every scrape must
send ``Authorization: Bearer <token>``, loopback ones too (behind nginx they
are anyone's), and the rendered site passes ``/metrics`` through, so a
Prometheus on another machine can scrape it over TLS.

A refused request gets the site's ordinary 404, as for any address that does
not exist: a 401 or 403 would tell a scanner there is something to try keys on.
The reason is logged, so an operator whose scraper is refused can find it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

logger = logging.getLogger(__name__)

BEARER = "bearer"


def is_loopback(address: str) -> bool:
    """Whether a peer address (IPv4, IPv6 or IPv4-mapped IPv6) is loopback."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def bearer_matches(*, authorization: str, token: str) -> bool:
    """Whether an Authorization header carries ``token`` as its bearer token.

    The scheme is case-insensitive (RFC 9110, 11.1); the token is compared in
    constant time, as bytes, so no timing tells how much of a guess was right.
    """
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != BEARER:
        return False
    return hmac.compare_digest(credentials.strip().encode(), token.encode())


def metrics_access_allowed(*, remote_addr: str, authorization: str, token: str) -> bool:
    """Whether this request may read ``/metrics`` (``token`` empty: unset)."""
    if token:
        if bearer_matches(authorization=authorization, token=token):
            return True
        reason = "wrong bearer token" if authorization else "no bearer token"
    elif is_loopback(remote_addr):
        return True
    else:
        reason = "not loopback, and ONDAS_METRICS_TOKEN is unset"
    logger.info("/metrics refused to %s: %s", remote_addr or "?", reason)
    return False
