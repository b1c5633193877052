"""The Redis cache that degrades (``ondas.core.cache``), against a real
``redis-server``: killed with -9, stopped with SIGSTOP, started again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from ondas.accounts.models import RateWindowCount
from ondas.api.throttle import WindowThrottle
from ondas.core.cache import CacheUnavailable, DegradingRedisCache, server_label
from tests.support.redis_server import RedisServer, redis_server

TIMEOUT = 0.25


@pytest.fixture
def redis_up() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def _cache(server: RedisServer, *, retry_seconds: float = 5) -> DegradingRedisCache:
    return DegradingRedisCache(
        server.url,
        {
            "KEY_PREFIX": "t",
            "OPTIONS": {
                "socket_timeout": TIMEOUT,
                "socket_connect_timeout": TIMEOUT,
                "RETRY_SECONDS": retry_seconds,
            },
        },
    )


def _timed(call: Any, *args: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - started


def test_server_label_hides_the_password() -> None:
    assert (
        server_label("redis://:s3cret@cache.example:6380/2") == "cache.example:6380/2"
    )
    assert server_label("rediss://user:pw@10.0.0.5") == "10.0.0.5:6379"


def test_a_live_redis_keeps_and_counts(redis_up: RedisServer) -> None:
    cache = _cache(redis_up)
    cache.set("page", {"html": "<p>hola</p>"}, 60)
    assert cache.get("page") == {"html": "<p>hola</p>"}
    assert cache.add("hits", 0, 60) is True
    assert [cache.incr("hits") for _ in range(3)] == [1, 2, 3]
    assert cache.get_many(["page", "missing"]) == {"page": {"html": "<p>hola</p>"}}
    # In Redis itself, under the prefix, where another process would find it.
    assert sorted(redis_up.client().keys("t:*")) == [b"t:1:hits", b"t:1:page"]
    assert cache.is_resting() is False


def test_a_killed_redis_reads_as_a_miss_and_counts_raise(
    redis_up: RedisServer,
) -> None:
    cache = _cache(redis_up)
    cache.set("page", "kept", 60)
    redis_up.kill()

    assert cache.get("page", "missed") == "missed"
    # Resting now: nothing waits on Redis, nothing raises but the counter.
    assert cache.get_many(["page"]) == {}
    assert cache.has_key("page") is False
    assert cache.add("hits", 0, 60) is False
    cache.set("page", "new", 60)
    assert cache.set_many({"a": 1, "b": 2}, 60) == ["a", "b"]
    assert cache.delete("page") is False
    cache.delete_many(["a"])
    assert cache.get_or_set("other", "made", 60) == "made"
    with pytest.raises(CacheUnavailable):
        cache.incr("hits")
    with pytest.raises(CacheUnavailable):
        cache.decr("hits")
    assert cache.is_resting() is True


def test_a_stuck_redis_costs_one_timeout_then_the_process_rests(
    redis_up: RedisServer,
) -> None:
    cache = _cache(redis_up)
    cache.set("page", "kept", 60)
    redis_up.pause()  # the port stays open; nothing answers
    try:
        missed, first = _timed(cache.get, "page")
        assert missed is None
        assert TIMEOUT * 0.8 <= first < TIMEOUT * 4
        # The next calls do not ask Redis: no timeout each.
        _, rest = _timed(lambda: [cache.get("page") for _ in range(50)])
        assert rest < TIMEOUT
        # Another thread (its own backend object, as Django gives it) rests too.
        other: list[tuple[Any, float]] = []
        thread = threading.Thread(
            target=lambda: other.append(_timed(_cache(redis_up).get, "page"))
        )
        thread.start()
        thread.join(timeout=10)
        assert other[0][0] is None
        assert other[0][1] < TIMEOUT / 2
    finally:
        redis_up.resume()


def test_threads_reading_when_redis_gets_stuck_all_miss_without_error(
    redis_up: RedisServer,
) -> None:
    """One thread's failure does not pull the connection from under another
    thread's read (a closed buffer raised ValueError through the cache)."""
    shared = _cache(redis_up, retry_seconds=0)  # every call asks Redis
    shared.set("page", "kept", 60)
    errors: list[BaseException] = []
    results: list[Any] = []
    stop = threading.Event()

    def read() -> None:
        mine = _cache(redis_up, retry_seconds=0)
        try:
            while not stop.is_set():
                results.append(mine.get("page", "missed"))
        except BaseException as exc:  # noqa: BLE001 - any escape fails the test
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    redis_up.pause()  # while the threads read
    try:
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        redis_up.resume()
    assert errors == []
    assert set(results) <= {"kept", "missed"}
    assert "missed" in results


def test_redis_is_used_again_once_the_pause_is_over(redis_up: RedisServer) -> None:
    cache = _cache(redis_up, retry_seconds=1)
    redis_up.kill()
    assert cache.get("page") is None
    redis_up.start()  # same port, empty
    # Within the pause, the process does not look: still a miss.
    cache.set("page", "too early", 60)
    assert redis_up.client().get("t:1:page") is None
    time.sleep(1.1)
    cache.set("page", "back", 60)
    assert cache.get("page") == "back"
    assert redis_up.client().get("t:1:page") is not None
    assert cache.is_resting() is False


def test_ping_says_the_version_or_raises(redis_up: RedisServer) -> None:
    cache = _cache(redis_up)
    assert cache.ping().startswith("7.")
    redis_up.kill()
    with pytest.raises(CacheUnavailable):
        cache.ping()


@pytest.mark.django_db
def test_the_api_limit_counts_in_the_database_while_redis_is_dead(
    redis_up: RedisServer, settings: Settings
) -> None:
    settings.ONDAS_CACHE_URL = redis_up.url
    settings.CACHES = {
        "default": {
            "BACKEND": "ondas.core.cache.DegradingRedisCache",
            "LOCATION": redis_up.url,
            "OPTIONS": {"socket_timeout": TIMEOUT, "RETRY_SECONDS": 60},
        }
    }
    settings.ONDAS_API_RATE_LIMIT = 3
    settings.ONDAS_API_RATE_WINDOW = 10**8  # one window for the whole test
    throttle = WindowThrottle()
    request = RequestFactory().get("/api/v1/shows", REMOTE_ADDR="203.0.113.9")

    alive = [throttle.allow_request(request) for _ in range(4)]
    assert alive == [True, True, True, False]
    assert RateWindowCount.objects.count() == 0  # counted in Redis

    redis_up.kill()
    dead = [throttle.allow_request(request) for _ in range(5)]
    # Neither an error nor an open door: the database's count, from zero.
    assert dead == [True, True, True, False, False]
    (row,) = RateWindowCount.objects.all()
    assert row.hits == 5
