"""A small rate limit: so many requests per token, or per client address,
in each fixed window, counted in the cache (``ONDAS_API_RATE_LIMIT`` and
``ONDAS_API_RATE_WINDOW``). Over it: 429 with ``Retry-After``."""

from __future__ import annotations

import hashlib
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from ondas.accounts.ratelimit import client_ip


def _who(request: HttpRequest) -> str:
    header = str(request.headers.get("Authorization", ""))
    if header:
        # The hash of what was sent: a stolen or guessed token is counted too.
        return "t:" + hashlib.sha256(header.encode("utf-8")).hexdigest()[:32]
    return "ip:" + client_ip(request)


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
        key = f"ondas-api-rate:{_who(request)}:{index}"
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
        if count <= limit:
            return True
        self._local.wait = (index + 1) * window - now
        return False

    def wait(self) -> float | None:
        return max(float(getattr(self._local, "wait", 1.0)), 1.0)
