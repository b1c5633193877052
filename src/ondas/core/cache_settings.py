"""The cache's settings (``ondas.settings`` imports them): per process by
default, or one Redis shared by every node with ``ONDAS_CACHE_URL``.

Sessions live in the database (Django's default engine) and every counter
that must hold across nodes (sign-in and API limits, private-feed sharing)
is a table: several nodes on one database need nothing more. The cache keeps
only what each process may rebuild (rendered show pages, studio counts), and
the API limit counts in it when it is Redis.

A Redis that stops answering is not an outage of the site
(``ondas.core.cache.DegradingRedisCache``): each command waits at most
``ONDAS_CACHE_TIMEOUT_MS``, a read becomes a miss, the API limit counts in the
database again, and the process leaves Redis alone for
``ONDAS_CACHE_RETRY_SECONDS`` before it tries once more.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from ondas.core.env import env_int, env_str

ONDAS_CACHE_URL = env_str("ONDAS_CACHE_URL", "")
if ONDAS_CACHE_URL and not re.match(r"rediss?://", ONDAS_CACHE_URL):
    raise ImproperlyConfigured(
        f"ONDAS_CACHE_URL must start with redis:// or rediss://, not {ONDAS_CACHE_URL!r}"
    )
ONDAS_CACHE_TIMEOUT_MS = env_int("ONDAS_CACHE_TIMEOUT_MS", 250)
if ONDAS_CACHE_TIMEOUT_MS < 1:
    raise ImproperlyConfigured("ONDAS_CACHE_TIMEOUT_MS must be 1 or more")
ONDAS_CACHE_RETRY_SECONDS = env_int("ONDAS_CACHE_RETRY_SECONDS", 5)
if ONDAS_CACHE_RETRY_SECONDS < 0:
    raise ImproperlyConfigured("ONDAS_CACHE_RETRY_SECONDS must be 0 or more")

_redis: dict[str, Any] = {
    "BACKEND": "ondas.core.cache.DegradingRedisCache",
    "LOCATION": ONDAS_CACHE_URL,
    "KEY_PREFIX": "ondas",
    "OPTIONS": {
        # Connecting and every answer: a dead or stuck Redis costs this much.
        "socket_connect_timeout": ONDAS_CACHE_TIMEOUT_MS / 1000,
        "socket_timeout": ONDAS_CACHE_TIMEOUT_MS / 1000,
        "RETRY_SECONDS": ONDAS_CACHE_RETRY_SECONDS,
    },
}
CACHES = {
    "default": (
        _redis
        if ONDAS_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

__all__ = [
    "ONDAS_CACHE_URL",
    "ONDAS_CACHE_TIMEOUT_MS",
    "ONDAS_CACHE_RETRY_SECONDS",
    "CACHES",
]
