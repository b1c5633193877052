"""Several Ondas processes on one real Redis (``ONDAS_CACHE_URL``): they share
the API's request limit and the rendered show pages; when Redis is killed
with -9 mid-traffic the site keeps answering, the limit counts in the
database, and once Redis is back (after the retry pause) it is used again."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.support.redis_server import RedisServer, redis_server
from tests.support.servers import (
    MIB,
    ONDAS,
    Served,
    Site,
    get,
    ondas_serve,
    temporary_site,
)

pytestmark = pytest.mark.slow

API_LIMIT = 6
SHOW = """
import datetime
from ondas.catalog.models import AudioFile
from ondas.catalog.services import episode_create, show_create
show = show_create(title="Caché Compartida", author="Ondas", language="es")
episode_create(show=show, guid="redis-1", title="Episodio en Redis",
               published_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
               audio=AudioFile.objects.get(pk={audio_id}))
print("SLUG=" + show.slug)
"""
# What another process finds in the cache under the show page's keys.
CACHED = """
import json
from django.core.cache import cache
from ondas.web.show_page import ShowEpisodes
keys = json.loads({keys!r})
found = cache.get_many(keys)
print("FOUND=" + json.dumps(
    [k for k, v in found.items() if isinstance(v, ShowEpisodes)
     and "Episodio en Redis" in v.html]))
"""
DB_COUNTS = """
import json
from ondas.accounts.models import RateWindowCount
print("ROWS=" + json.dumps(list(RateWindowCount.objects.values_list("hits", flat=True))))
"""


def _shell(site: Site, env: dict[str, str], code: str, marker: str) -> str:
    done = subprocess.run(
        [ONDAS, "manage", "shell", "-c", code],
        env=site.env | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split(marker, 1)[1].strip()


@pytest.fixture(scope="module")
def redis_up() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def site_with_show() -> Iterator[tuple[Site, str]]:
    with temporary_site(size=MIB + 777) as site:
        slug = _shell(site, {}, SHOW.format(audio_id=site.audio_id), "SLUG=")
        yield site, slug


def _env(redis: RedisServer) -> dict[str, str]:
    return {
        "ONDAS_CACHE_URL": redis.url,
        "ONDAS_CACHE_RETRY_SECONDS": "1",
        "ONDAS_API_RATE_LIMIT": str(API_LIMIT),
        # One window for the whole test, however slow the machine.
        "ONDAS_API_RATE_WINDOW": str(10**8),
        # So that each test's client has an address of its own.
        "ONDAS_CLIENT_IP_HEADER": "X-Real-IP",
    }


def _api_codes(nodes: list[Served], address: str, *, each: int = 5) -> list[int]:
    """``each`` API requests from ``address`` to every node, in turns."""
    codes = []
    for _ in range(each):
        for node in nodes:
            response, _ = get(node.port, "/api/v1/shows", {"X-Real-IP": address})
            codes.append(response.status)
    return codes


def _rate_keys(redis: RedisServer, address: str) -> list[bytes]:
    return list(redis.client().keys(f"ondas:1:ondas-api-rate:ip:{address}:*"))


def _db_hits(site: Site) -> list[int]:
    rows: list[int] = json.loads(_shell(site, {}, DB_COUNTS, "ROWS="))
    return rows


def test_two_nodes_share_the_api_limit_and_the_show_pages_in_redis(
    redis_up: RedisServer, site_with_show: tuple[Site, str]
) -> None:
    site, slug = site_with_show
    env = _env(redis_up)
    with (
        ondas_serve(site, workers=2, threads=2, env=env, name="a") as first,
        ondas_serve(site, workers=2, threads=2, env=env, name="b") as second,
    ):
        codes = _api_codes([first, second], "198.51.100.20")
        # Ten requests over two nodes and four workers: exactly the limit passed.
        assert codes.count(200) == API_LIMIT
        assert codes.count(429) == 10 - API_LIMIT
        assert len(_rate_keys(redis_up, "198.51.100.20")) == 1
        assert _db_hits(site) == []  # counted in Redis, not in the database

        response, body = get(first.port, f"/shows/{slug}/")
        assert response.status == 200
        assert "Episodio en Redis" in body.decode()
    keys = [
        key.decode().removeprefix("ondas:1:")
        for key in redis_up.client().keys("ondas:1:ondas:web:show-episodes:*")
    ]
    assert keys, "the first node kept no show page in Redis"
    # Another process finds the page the first node rendered.
    found = json.loads(
        _shell(site, env, CACHED.format(keys=json.dumps(keys)), "FOUND=")
    )
    assert found == keys


@dataclass
class Traffic:
    """Pages, audio ranges and API calls against every node until stopped."""

    nodes: list[Served]
    slug: str
    audio_path: str
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[tuple[str, int, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            for node in self.nodes:
                n += 1
                asks = [
                    ("page", f"/shows/{self.slug}/", {}),
                    ("audio", self.audio_path, {"Range": "bytes=1000-65535"}),
                    # An address of its own each time: never over the limit.
                    (
                        "api",
                        "/api/v1/shows",
                        {"X-Real-IP": f"10.9.{n // 250}.{n % 250}"},
                    ),
                ]
                for kind, path, headers in asks:
                    started = time.monotonic()
                    try:
                        response, _ = get(node.port, path, headers, timeout=10)
                    except OSError as exc:
                        self.errors.append(f"{kind}: {exc!r}")
                        continue
                    took = time.monotonic() - started
                    self.answers.append((kind, response.status, took))

    def unexpected(self) -> list[tuple[str, int, float]]:
        wanted = {"page": 200, "audio": 206, "api": 200}
        return [a for a in self.answers if a[1] != wanted[a[0]]]


def test_a_redis_killed_mid_traffic_costs_no_request_and_comes_back(
    redis_up: RedisServer, site_with_show: tuple[Site, str]
) -> None:
    site, slug = site_with_show
    env = _env(redis_up)
    with (
        ondas_serve(site, workers=2, threads=2, env=env, name="c") as first,
        ondas_serve(site, workers=2, threads=2, env=env, name="d") as second,
    ):
        nodes = [first, second]
        traffic = Traffic(nodes=nodes, slug=slug, audio_path=site.audio_path)
        loader = threading.Thread(target=traffic.run)
        loader.start()
        try:
            time.sleep(1.5)
            before = len(traffic.answers)
            redis_up.kill()
            time.sleep(2.5)
            during = len(traffic.answers) - before
            # The limit holds while Redis is dead: counted in the database.
            dead_codes = _api_codes(nodes, "198.51.100.30")

            redis_up.start()  # same port, empty
            time.sleep(1.5)  # more than the retry pause
            back_codes = _api_codes(nodes, "198.51.100.31")
            time.sleep(0.5)
        finally:
            traffic.stop.set()
            loader.join(timeout=30)
        log = first.log_text() + second.log_text()

    assert traffic.errors == []
    assert traffic.unexpected() == []
    assert during > 20, "hardly any traffic while Redis was dead"
    assert dead_codes.count(200) == API_LIMIT
    assert dead_codes.count(429) == 10 - API_LIMIT
    assert back_codes.count(200) == API_LIMIT
    assert back_codes.count(429) == 10 - API_LIMIT
    # The dead window's count is in the database (the traffic's addresses
    # counted there too, once each); the later one is in Redis again.
    assert 10 in _db_hits(site)
    assert _rate_keys(redis_up, "198.51.100.30") == []
    assert len(_rate_keys(redis_up, "198.51.100.31")) == 1
    # The show pages are kept in the new Redis again.
    assert redis_up.client().keys("ondas:1:ondas:web:show-episodes:*")
    assert "did not answer" in log
    assert "answers again" in log
    assert "Traceback" not in log
