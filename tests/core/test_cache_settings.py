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
        "BACKEND": "ondas.core.cache.DegradingRedisCache",
        "LOCATION": "redis://127.0.0.1:6379/2",
        "KEY_PREFIX": "ondas",
        # A dead Redis costs a quarter second, then five seconds of rest.
        "OPTIONS": {
            "socket_connect_timeout": 0.25,
            "socket_timeout": 0.25,
            "RETRY_SECONDS": 5,
        },
    }


def test_the_redis_timeout_and_pause_come_from_the_environment(
    tmp_path: Path,
) -> None:
    found = settings_with(
        tmp_path,
        names=["CACHES"],
        ONDAS_CACHE_URL="redis://127.0.0.1:6379/0",
        ONDAS_CACHE_TIMEOUT_MS="40",
        ONDAS_CACHE_RETRY_SECONDS="0",
    )
    caches = found["CACHES"]
    assert isinstance(caches, dict)
    assert caches["default"]["OPTIONS"] == {
        "socket_connect_timeout": 0.04,
        "socket_timeout": 0.04,
        "RETRY_SECONDS": 0,
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ONDAS_CACHE_URL": "memcached://127.0.0.1:11211"},
            "ONDAS_CACHE_URL must start with redis:// or rediss://",
        ),
        ({"ONDAS_WORKER_LEASE_SECONDS": "1"}, "must be 2 or more"),
        ({"ONDAS_CACHE_TIMEOUT_MS": "0"}, "ONDAS_CACHE_TIMEOUT_MS must be 1 or more"),
        (
            {"ONDAS_CACHE_RETRY_SECONDS": "-1"},
            "ONDAS_CACHE_RETRY_SECONDS must be 0 or more",
        ),
    ],
)
def test_bad_values_stop_the_start_with_their_reason(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(RuntimeError, match=message):
        settings_with(tmp_path, names=["CACHES"], **env)
