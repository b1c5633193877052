"""Keyed digests: facts that must outlive the address or card they came from."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def keyed_digest(value: str) -> str:
    """An HMAC of ``value`` under the secret key: comparable, not reversible."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
