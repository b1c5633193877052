"""Pieces of a several-node Ondas for tests: a catalog on a shared database,
which node answered (from the ``upstream=`` of nginx's access log), and a
mixed client load (pages, 1 MiB audio ranges, progress writes) through nginx.

The catalog is made in the test's own process on the test database (the
nodes read the same database); every load thread stops when asked and every
request has a timeout.
"""

from __future__ import annotations

import http.client
import io
import json
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.test import Client
from django.utils.timezone import now as timezone_now

from ondas.accounts.models import User
from ondas.catalog.models import Episode
from ondas.catalog.services import audio_file_create, episode_create, show_create
from ondas.ops.demo_audio import encode_tone_mp3
from tests.support.billing import premium_plan_make, subscribe
from tests.support.servers import MIB

# Any 32 letters will do: Django compares the header with the cookie.
CSRF_TOKEN = "clustercsrftoken0123456789abcdef"


@dataclass(frozen=True)
class Catalog:
    """What the load asks for, with the bytes the audio must have."""

    show_slug: str
    episode_slugs: list[str]
    free_audio: int
    free_bytes: bytes
    exclusive_audio: int
    exclusive_bytes: bytes
    progress_episodes: list[int]
    listener: User
    session_cookie: str


def _mp3(seconds: int) -> bytes:
    out = io.BytesIO()
    encode_tone_mp3(out, duration_seconds=seconds)
    return out.getvalue()


def cluster_catalog_make(*, episodes: int) -> Catalog:
    """A show with ``episodes`` free episodes of one real MP3 (about 3.4 MiB)
    and an exclusive one (about 2.3 MiB), and a subscribed, signed-in listener."""
    free_data, exclusive_data = _mp3(900), _mp3(600)
    free = audio_file_create(
        name="free.mp3",
        content=io.BytesIO(free_data),
        mime_type="audio/mpeg",
        duration_seconds=900.0,
    )
    exclusive = audio_file_create(
        name="exclusive.mp3",
        content=io.BytesIO(exclusive_data),
        mime_type="audio/mpeg",
        duration_seconds=600.0,
    )
    show = show_create(title="Dos Nodos", author="Ondas", language="es")
    base = datetime(2025, 1, 1, tzinfo=UTC)
    made = [
        episode_create(
            show=show,
            guid=f"node-{n}",
            title=f"Episodio {n}",
            published_at=base + timedelta(hours=n),
            audio=free,
        )
        for n in range(episodes)
    ]
    extra = episode_create(
        show=show,
        guid="node-exclusive",
        title="Exclusivo",
        published_at=base + timedelta(hours=episodes),
        access=Episode.Access.EXCLUSIVE,
        audio=exclusive,
    )
    listener = User.objects.create_user(
        email="nodes@example.com", password="a long pass phrase for tests"
    )
    # The nodes read the real clock, whatever the test's clock says.
    subscribe(listener, premium_plan_make(), now=timezone_now())
    client = Client()
    client.force_login(listener)
    return Catalog(
        show_slug=show.slug,
        episode_slugs=[made[0].slug, made[-1].slug, extra.slug],
        free_audio=free.pk,
        free_bytes=free_data,
        exclusive_audio=exclusive.pk,
        exclusive_bytes=exclusive_data,
        progress_episodes=[episode.pk for episode in made],
        listener=listener,
        session_cookie=client.cookies["sessionid"].value,
    )


def answered_by(access_log: Path, *, start: int = 0) -> dict[str, int]:
    """Requests per node in nginx's access log from byte ``start`` on (the node
    that answered last: a retried request names the failed one first)."""
    counts: dict[str, int] = {}
    with access_log.open("rb") as log:
        log.seek(start)
        for line in log.read().decode(errors="replace").splitlines():
            if "upstream=" not in line:
                continue
            last = line.rsplit("upstream=", 1)[1].split(",")[-1].strip()
            counts[last] = counts.get(last, 0) + 1
    return counts


@dataclass
class Outcome:
    kind: str
    status: int
    detail: str = ""


@dataclass
class Load:
    """Client threads against nginx until ``stop()``; each keeps its answers."""

    port: int
    catalog: Catalog
    outcomes: list[Outcome] = field(default_factory=list)
    # (episode id, position, status, applied) of every progress write sent.
    writes: list[tuple[int, float, int, bool]] = field(default_factory=list)
    resumed: bytearray = field(default_factory=bytearray)
    # The last answer to a progress write, by status, when it was not 200.
    unacknowledged: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _connect(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=15, context=context
        )

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = f"sessionid={self.catalog.session_cookie}; csrftoken={CSRF_TOKEN}"
        return {"Host": "localhost", "Cookie": cookie} | (extra or {})

    def request(
        self, method: str, path: str, *, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """One request on a fresh connection; a status of 0 means no answer."""
        conn = self._connect()
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except OSError as exc:
            return 0, repr(exc).encode()
        finally:
            conn.close()

    def _note(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def _pages(self) -> None:
        c = self.catalog
        paths = ["/", f"/shows/{c.show_slug}/"]
        paths += [f"/shows/{c.show_slug}/{slug}/" for slug in c.episode_slugs]
        n = 0
        while not self._stop.is_set():
            path = paths[n % len(paths)]
            status, body = self.request("GET", path, headers=self._headers())
            self._note(Outcome("page", status, "" if status == 200 else path))
            n += 1

    def _ranges(self, seed: int) -> None:
        rng = random.Random(seed)
        c = self.catalog
        files = [(c.free_audio, c.free_bytes), (c.exclusive_audio, c.exclusive_bytes)]
        while not self._stop.is_set():
            audio, data = files[rng.randrange(2)]
            start = rng.randrange(len(data) - MIB)
            end = start + MIB - 1
            status, body = self.request(
                "GET",
                f"/audio/{audio}.mp3",
                headers=self._headers({"Range": f"bytes={start}-{end}"}),
            )
            same = status == 206 and body == data[start : end + 1]
            self._note(Outcome("range", status, "" if same else f"{audio} {start}"))

    def _resume(self) -> None:
        """A player reading one file in 1 MiB ranges, from where it stopped,
        again and again; what it got is in ``resumed`` (the last pass)."""
        data = self.catalog.free_bytes
        path = f"/audio/{self.catalog.free_audio}.mp3"
        while not self._stop.is_set():
            got = len(self.resumed)
            if got >= len(data):
                with self._lock:
                    self.resumed.clear()
                continue
            end = min(got + MIB, len(data)) - 1
            status, body = self.request(
                "GET", path, headers=self._headers({"Range": f"bytes={got}-{end}"})
            )
            self._note(Outcome("resume", status, "" if status == 206 else str(got)))
            if status == 206:
                with self._lock:
                    self.resumed += body
                    if bytes(self.resumed) != data[: len(self.resumed)]:
                        self._note(Outcome("resume", -1, f"wrong bytes at {got}"))

    def _progress(self, episodes: list[int]) -> None:
        position = 0.0
        while not self._stop.is_set():
            for episode in episodes:
                if self._stop.is_set():
                    return
                position += 1.0
                body = json.dumps({"position_seconds": position}).encode()
                status, answer = self.request(
                    "PUT",
                    f"/playback/progress/episode/{episode}",
                    headers=self._headers(
                        {
                            "Content-Type": "application/json",
                            "X-CSRFToken": CSRF_TOKEN,
                            # Over HTTPS Django also wants the page's origin.
                            "Origin": "https://localhost",
                        }
                    ),
                    body=body,
                )
                applied = status == 200 and json.loads(answer).get("applied") is True
                if status != 200:
                    self.unacknowledged[status] = answer[:300].decode(errors="replace")
                with self._lock:
                    self.writes.append((episode, position, status, applied))
                time.sleep(0.02)

    def start(self, *, range_threads: int = 2) -> None:
        targets: list[Callable[[], None]] = [self._pages, self._resume]
        targets += [lambda s=seed: self._ranges(s) for seed in range(range_threads)]
        half = len(self.catalog.progress_episodes) // 2
        for part in (
            self.catalog.progress_episodes[:half],
            self.catalog.progress_episodes[half:],
        ):
            targets.append(lambda p=part: self._progress(p))
        for target in targets:
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in self._threads), "a load thread hung"
