"""The cache and the schedule's settings, as a fresh process reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.settings import settings_with


def test_no_cache_url_keeps_a_cache_per_process(tmp_path: Path) -> None:
    found = settings_with(tmp_path, names=["CACHES", "SESSION_ENGINE"])
    caches = found["CACHES"]
    assert isinstance(caches, dict)
    assert caches["default"]["BACKEND"].endswith("LocMemCache")
    # Sessions stay in the database, shared by every node (Django's default).
    assert found["SESSION_ENGINE"] is None


def test_a_redis_url_shares_the_cache_in_redis(tmp_path: Path) -> None:
    found = settings_with(
        tmp_path, names=["CACHES"], ONDAS_CACHE_URL="redis://127.0.0.1:6379/2"
    )
    caches = found["CACHES"]
    assert isinstance(caches, dict)
    assert caches["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/2",
        "KEY_PREFIX": "ondas",
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ONDAS_CACHE_URL": "memcached://127.0.0.1:11211"},
            "ONDAS_CACHE_URL must start with redis:// or rediss://",
        ),
        ({"ONDAS_WORKER_LEASE_SECONDS": "1"}, "must be 2 or more"),
    ],
)
def test_bad_values_stop_the_start_with_their_reason(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(RuntimeError, match=message):
        settings_with(tmp_path, names=["CACHES"], **env)
