"""`ondas doctor`'s cache line: per process, or whether the Redis answers."""

from __future__ import annotations

from pytest_django.fixtures import Settings

from ondas.ops.doctor import check_cache
from tests.support.redis_server import redis_server


def _use_redis(settings: Settings, url: str) -> None:
    settings.ONDAS_CACHE_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "ondas.core.cache.DegradingRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        }
    }


def test_without_a_cache_url_the_cache_is_per_process(settings: Settings) -> None:
    settings.ONDAS_CACHE_URL = ""
    check = check_cache()
    assert check.mark == "ok"
    assert check.detail.startswith("per process (no ONDAS_CACHE_URL)")


def test_a_redis_that_answers_and_one_that_was_killed(settings: Settings) -> None:
    with redis_server() as server:
        _use_redis(settings, server.url)
        check = check_cache()
        assert check.mark == "ok"
        assert check.detail.startswith("Redis 7.")
        assert f"at 127.0.0.1:{server.port}/0 answers in " in check.detail
        server.kill()
        check = check_cache()
    assert check.mark == "FAIL"
    assert check.detail.startswith(
        f"Redis at 127.0.0.1:{server.port}/0 does not answer ("
    )
    assert "counts the API limit in the database meanwhile" in check.detail


def test_the_password_never_shows(settings: Settings) -> None:
    password = "s3cret-pass"  # noqa: S105 - a throwaway server's
    with redis_server() as server:
        server.client().config_set("requirepass", password)
        _use_redis(settings, f"redis://:{password}@127.0.0.1:{server.port}/0")
        answered = check_cache()
        _use_redis(settings, f"redis://:wrong-{password}@127.0.0.1:{server.port}/0")
        refused = check_cache()
    assert answered.mark == "ok"
    assert refused.mark == "FAIL"
    for check in (answered, refused):
        assert password not in check.detail
