"""A small rate limit: so many requests per token, or per client address,
in each fixed window (``ONDAS_API_RATE_LIMIT`` and ``ONDAS_API_RATE_WINDOW``).
Over it: 429 with ``Retry-After``.

Counted where every node sees the same count: in the database by default
(one upsert per request, ``accounts.ratelimit.window_hit``), or in Redis when
``ONDAS_CACHE_URL`` points the cache there (its ``INCR`` is atomic too). A
per-process cache would give each Gunicorn worker of each node a limit of
its own. While Redis does not answer (``ondas.core.cache``), the count goes
to the database again, so the limit still holds across nodes; in the window
in which Redis goes or comes back, a client may get up to the limit from
each of the two counts.
"""

from __future__ import annotations

import hashlib
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from ondas.accounts.ratelimit import client_ip, window_hit
from ondas.core.cache import CacheUnavailable


def _who(request: HttpRequest) -> str:
    header = str(request.headers.get("Authorization", ""))
    if header:
        # The hash of what was sent: a stolen or guessed token is counted too.
        return "t:" + hashlib.sha256(header.encode("utf-8")).hexdigest()[:32]
    return "ip:" + client_ip(request)


def _cache_hit(key: str, *, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


class WindowThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._local = threading.local()  # one instance serves every thread

    def allow_request(self, request: HttpRequest) -> bool:
        limit = int(settings.ONDAS_API_RATE_LIMIT)
        window = max(int(settings.ONDAS_API_RATE_WINDOW), 1)
        if limit <= 0:
            return True
        now = time.time()
        index = int(now // window)
        who = _who(request)
        count = None
        if settings.ONDAS_CACHE_URL:
            try:
                count = _cache_hit(f"ondas-api-rate:{who}:{index}", timeout=window + 1)
            except CacheUnavailable:
                pass  # Redis is down: the database counts, as with no Redis
        if count is None:
            count = window_hit(key="api:" + who, slot=index * window)
        if count <= limit:
            return True
        self._local.wait = (index + 1) * window - now
        return False

    def wait(self) -> float | None:
        return max(float(getattr(self._local, "wait", 1.0)), 1.0)
