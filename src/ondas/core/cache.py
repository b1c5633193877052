"""A Redis cache that a dead Redis cannot take the site down with.

Django's ``RedisCache`` raises on every call while Redis is gone, so each page
that reads the cache would fail. ``DegradingRedisCache`` (``CACHES`` when
``ONDAS_CACHE_URL`` is set) turns an unreachable Redis into what a cache may
be: a read is a miss, a write is dropped, and ``incr`` raises
``CacheUnavailable`` so that a counter can count elsewhere (the API limit
falls back to the database, ``ondas.api.throttle``).

Every command waits at most the socket timeout (``ONDAS_CACHE_TIMEOUT_MS``)
and is never retried by the client. After a failure, the whole process
leaves that Redis alone for ``RETRY_SECONDS`` (``ONDAS_CACHE_RETRY_SECONDS``):
its requests do not each pay a timeout. The first call after the pause tries
again on fresh connections; when it gets an answer, Redis is used again.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CacheUnavailable(Exception):
    """The cache server did not answer, or is resting after it did not."""


def server_label(url: str) -> str:
    """``host:port/db`` of a Redis URL, without its password."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = parts.port or 6379
    return f"{host}:{port}{parts.path or ''}"


class _Link:
    """One Redis client and whether it answers, shared by the threads of a process.

    Django gives each thread a backend object of its own; the client, its
    connection pool (thread-safe) and the rest after a failure are per
    process, so that one thread's failure spares the others the timeout.
    """

    def __init__(self, client: RedisCacheClient, *, label: str, pause: float) -> None:
        self.client = client
        self.label = label
        self.pause = pause
        self.down_until = 0.0  # time.monotonic() before which Redis is left alone
        self.down = False
        self.lock = threading.Lock()

    def resting(self) -> bool:
        return self.down and time.monotonic() < self.down_until

    def failed(self, error: Exception) -> None:
        with self.lock:
            self.down_until = time.monotonic() + self.pause
            if not self.down:
                logger.warning(
                    "Redis cache at %s did not answer (%s); caching off and the "
                    "API limit counted in the database for %.0f s at a time",
                    self.label,
                    type(error).__name__,
                    self.pause,
                )
            self.down = True
        # Idle connections may be half dead (a killed Redis): start afresh.
        # Not those in use: another thread may be reading from one now, and
        # redis-py drops a connection that failed by itself.
        # (RedisCacheClient keeps one pool per server; no public way to them.)
        pools: dict[int, Any] = getattr(self.client, "_pools", {})
        for pool in pools.values():
            pool.disconnect(inuse_connections=False)

    def answered(self) -> None:
        if self.down:
            with self.lock:
                if self.down:
                    logger.warning("Redis cache at %s answers again", self.label)
                self.down = False


_links: dict[tuple[str, ...], _Link] = {}
_links_lock = threading.Lock()


class DegradingRedisCache(RedisCache):
    """``RedisCache`` that answers as a miss, not an error, while Redis is down.

    ``OPTIONS`` are those of Django's ``RedisCache`` (``socket_timeout`` and
    ``socket_connect_timeout`` go to redis-py), plus ``RETRY_SECONDS``: how
    long a process leaves Redis alone after it failed to answer.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
        from redis.retry import Retry

        options = dict(params.get("OPTIONS", {}))
        self._pause = float(options.pop("RETRY_SECONDS", 5))
        self._link_key = (server, repr(sorted(options.items())), str(self._pause))
        # One try per command: the pause, not the client, decides when to retry.
        options["retry"] = Retry(NoBackoff(), 0)
        super().__init__(server, {**params, "OPTIONS": options})
        self._urls = [url for url in re.split("[;,]", server) if url]
        self._client_options = options
        self._outages: tuple[type[Exception], ...] = (
            RedisConnectionError,
            RedisTimeoutError,
        )

    @cached_property
    def _link(self) -> _Link:
        with _links_lock:
            link = _links.get(self._link_key)
            if link is None:
                link = _Link(
                    RedisCacheClient(self._urls, **self._client_options),
                    label=server_label(self._urls[0]),
                    pause=self._pause,
                )
                _links[self._link_key] = link
            return link

    @cached_property
    def _cache(self) -> RedisCacheClient:
        return self._link.client

    def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one of ``RedisCache``'s methods, or raise ``CacheUnavailable``."""
        link = self._link
        if link.resting():
            raise CacheUnavailable(link.label)
        try:
            result = method(*args, **kwargs)
        except self._outages as error:
            link.failed(error)
            raise CacheUnavailable(link.label) from error
        link.answered()
        return result

    def is_resting(self) -> bool:
        """Whether this process leaves Redis alone now, after a failure."""
        return self._link.resting()

    def ping(self) -> str:
        """Return the server's version, asking it now (even while resting).

        Raises ``CacheUnavailable`` when it does not answer.
        """
        client = self._cache.get_client(write=True)
        try:
            info = client.info("server")
        except self._outages as error:
            self._link.failed(error)
            raise CacheUnavailable(f"{self._link.label}: {error}") from error
        self._link.answered()
        return str(info.get("redis_version", "?"))

    # Reads: a miss.
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return self._call(super().get, key, default, version)
        except CacheUnavailable:
            return default

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> Any:
        try:
            return self._call(super().get_many, keys, version)
        except CacheUnavailable:
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return bool(self._call(super().has_key, key, version))
        except CacheUnavailable:
            return False

    # Writes: dropped (nothing was stored, as a full cache might do too).
    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        try:
            return bool(self._call(super().add, key, value, timeout, version))
        except CacheUnavailable:
            return False

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        try:
            self._call(super().set, key, value, timeout, version)
        except CacheUnavailable:
            return

    def set_many(
        self,
        data: dict[Any, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[Any]:
        try:
            return list(self._call(super().set_many, data, timeout, version))
        except CacheUnavailable:
            return list(data)  # none of them was set

    def touch(
        self,
        key: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        try:
            return bool(self._call(super().touch, key, timeout, version))
        except CacheUnavailable:
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return bool(self._call(super().delete, key, version))
        except CacheUnavailable:
            return False

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        try:
            self._call(super().delete_many, keys, version)
        except CacheUnavailable:
            return

    def clear(self) -> None:
        try:
            self._call(super().clear)
        except CacheUnavailable:
            return

    # Counters: no honest number without Redis, so the caller decides.
    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """Add ``delta``; raise ``CacheUnavailable`` when Redis does not answer."""
        return int(self._call(super().incr, key, delta, version))
