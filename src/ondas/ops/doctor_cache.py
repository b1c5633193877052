"""`ondas doctor`'s look at the cache: per process, or a Redis that answers."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import caches

from ondas.core.cache import CacheUnavailable, DegradingRedisCache, server_label


def cache_state() -> tuple[bool, str]:
    """Ask the configured Redis for its version, now; say so when there is none.

    Return whether the cache is as configured, and what was found.
    """
    url = settings.ONDAS_CACHE_URL
    if not url:
        return (
            True,
            "per process (no ONDAS_CACHE_URL): nothing shared between nodes, "
            "the API limit counts in the database",
        )
    backend = caches["default"]
    label = server_label(url)
    if not isinstance(backend, DegradingRedisCache):
        return False, f"ONDAS_CACHE_URL is set but CACHES is {backend!r}"
    started = time.monotonic()
    try:
        version = backend.ping()
    except CacheUnavailable as exc:
        return (
            False,
            f"Redis at {label} does not answer ({exc.__cause__}); the site runs "
            "without a cache and counts the API limit in the database meanwhile",
        )
    took = (time.monotonic() - started) * 1000
    return (
        True,
        f"Redis {version} at {label} answers in {took:.1f} ms "
        f"(timeout {settings.ONDAS_CACHE_TIMEOUT_MS} ms, "
        f"retry after {settings.ONDAS_CACHE_RETRY_SECONDS} s)",
    )
