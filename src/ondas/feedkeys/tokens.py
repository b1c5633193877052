"""The tokens of private feeds: made from a stored seed, looked up by their hash.

A token is ``HMAC-SHA256(key derived from SECRET_KEY, seed)`` written in
base64url: 43 characters, 256 bits. The database keeps the seed and the
SHA-256 of the token, never the token: a copy of the database alone gives no
address that works, while Ondas, which holds the secret key, can show the
subscriber their address again. See ``models.PrivateFeedKey``.

The network and app a token is used from are kept only as keyed digests that
change every day (``use_digest``), for sharing detection.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import secrets
from datetime import date

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from ondas.core.digests import keyed_digest

# Changing it changes every token: every subscriber would have to copy theirs again.
# (It names billing, where keys began; it stays as it is for that reason.)
_KEY_SALT = "ondas.billing.private-feed-token"
SEED_BYTES = 32
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def seed_make() -> str:
    """Return a new random seed (256 bits, hex)."""
    return secrets.token_hex(SEED_BYTES)


def token_derive(seed: str, *, secret: str | bytes | None = None) -> str:
    """Return the token of ``seed`` under ``secret`` (default: SECRET_KEY)."""
    mac = salted_hmac(_KEY_SALT, seed, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    """Return what the database stores, and looks a token up by."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_is_well_formed(token: str) -> bool:
    return TOKEN_RE.fullmatch(token) is not None


def token_recover(seed: str, stored_hash: str) -> str | None:
    """Return the token whose hash is ``stored_hash``, or None.

    Tries SECRET_KEY, then SECRET_KEY_FALLBACKS: after a key rotation the old
    address still works (lookups go by hash), and while the old key is a
    fallback the account page can still show it. None: the key that made it
    is gone, and only regenerating gives an address that can be shown.
    """
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        token = token_derive(seed, secret=secret)
        if constant_time_compare(token_hash(token), stored_hash):
            return token
    return None


def network_of(ip: str) -> str:
    """The network an address belongs to: its IPv4 /24 or IPv6 /48.

    One household or phone moves within such a network; counting addresses
    would count one person many times.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            return str(ipaddress.IPv6Network((address, 48), strict=False))
        address = address.ipv4_mapped
    return str(ipaddress.IPv4Network((address, 24), strict=False))


def use_digest(*, kind: str, value: str, day: date) -> str:
    """A keyed digest of a network or app, different every day."""
    return keyed_digest(f"private-feed:{day.isoformat()}:{kind}:{value}")
