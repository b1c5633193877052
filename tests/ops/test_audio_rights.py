"""nginx asks Ondas before it sends audio (auth_request), and keeps the yes a while.

Real Debian nginx with the site `ondas deploy nginx` renders, a real `ondas
serve`, an exclusive episode and a subscriber's session: nginx sends the
bytes only after Ondas said yes, keeps that yes for ONDAS_AUDIO_RIGHTS_TTL
seconds per file and session (so a player's next ranges do not reach
Python), asks on every request when the TTL is 0, and hands every refusal
to Ondas, which answers it with its own page.
"""

from __future__ import annotations

import http.client
import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import (
    ACCEL_PREFIX,
    ONDAS,
    Nginx,
    Served,
    Site,
    nginx_running,
    ondas_serve,
    temporary_site,
)

pytestmark = pytest.mark.slow

SUBSCRIBER = """
import io, pathlib
from django.utils import timezone
from ondas.accounts.models import User
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import plan_create, subscription_start
from ondas.catalog.models import Episode
from ondas.catalog.services import audio_file_create, episode_create, show_create
data = pathlib.Path({source!r}).read_bytes()
exclusive = audio_file_create(name="exclusive.mp3", content=io.BytesIO(data),
                              mime_type="audio/mpeg", duration_seconds=600.0)
doomed = audio_file_create(name="doomed.mp3", content=io.BytesIO(data[:5000]),
                           mime_type="audio/mpeg", duration_seconds=1.0)
show = show_create(title="Rights", author="Ondas", language="es")
episode_create(show=show, guid="rights-1", title="Exclusive", audio=exclusive,
               published_at=timezone.now(), access=Episode.Access.EXCLUSIVE)
plan = plan_create(slug="premium", name="Premium", price_minor=9900,
                   currency="MXN", trial_days=7, audiobook_hours=20,
                   includes_exclusive=True)
user = User.objects.create_user("rights@example.com", "a long pass phrase")
subscription_start(user=user, plan=plan, now=timezone.now(),
                   payment_method=payment_method_from_test_card("4242424242424242"))
print("EXCLUSIVE=%d" % exclusive.pk)
print("DOOMED=%d" % doomed.pk)
"""
SIGN_IN = """
from django.test import Client
from ondas.accounts.models import User
client = Client()
client.force_login(User.objects.get(email="rights@example.com"))
print("COOKIE=sessionid=%s" % client.cookies["sessionid"].value)
"""
SIGN_OUT_EVERYONE = (
    "from django.contrib.sessions.models import Session; Session.objects.all().delete()"
)
TTL = 2


class Listener:
    """HTTP/1.1 over TLS to the nginx under test (its certificate is self-made)."""

    def __init__(self, nginx: Nginx) -> None:
        self.port = nginx.port
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, timeout=10
        )
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()


class Rights:
    def __init__(self, site: Site) -> None:
        done = subprocess.run(
            [ONDAS, "manage", "shell", "-c",
             SUBSCRIBER.format(source=str(site.root / "source.bin"))],
            env=site.env, check=True, timeout=60, capture_output=True, text=True,
        )  # fmt: skip
        found = dict(re.findall(r"^(\w+)=(\S+)$", done.stdout, re.MULTILINE))
        self.site = site
        self.exclusive = f"/audio/{found['EXCLUSIVE']}.mp3"
        self.doomed = int(found["DOOMED"])
        media = Path(site.env["ONDAS_MEDIA_ROOT"])
        for path in media.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)

    def sign_in(self) -> dict[str, str]:
        """A new session of the subscriber: the Cookie header that carries it."""
        done = subprocess.run(
            [ONDAS, "manage", "shell", "-c", SIGN_IN],
            env=self.site.env, check=True, timeout=60, capture_output=True, text=True,
        )  # fmt: skip
        found = re.search(r"^COOKIE=(\S+)$", done.stdout, re.MULTILINE)
        assert found is not None, done.stdout + done.stderr
        return {"Cookie": found.group(1)}

    def sign_everyone_out(self) -> None:
        subprocess.run(
            [ONDAS, "manage", "shell", "-c", SIGN_OUT_EVERYONE],
            env=self.site.env, check=True, timeout=60,
        )  # fmt: skip


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with temporary_site() as made:
        yield made


@pytest.fixture(scope="module")
def rights(site: Site) -> Rights:
    return Rights(site)


@contextmanager
def _serve(site: Site, ttl: int) -> Iterator[tuple[Served, Listener]]:
    env = {"ONDAS_AUDIO_ACCEL_PREFIX": ACCEL_PREFIX, "ONDAS_AUDIO_RIGHTS_TTL": str(ttl)}
    with (
        ondas_serve(site, workers=1, threads=4, env=env, name=f"app-ttl{ttl}") as app,
        nginx_running(site, upstream=app.port) as nginx,
    ):
        yield app, Listener(nginx)


def _asked(app: Served) -> int:
    """How many times Ondas was asked the rights question (its /metrics)."""
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    counts = re.findall(
        r'^ondas_http_requests_total\{[^}]*route="playback:audio-rights"[^}]*\} (\S+)$',
        text,
        re.MULTILINE,
    )
    return int(sum(float(count) for count in counts))


def _range(start: int, length: int) -> dict[str, str]:
    return {"Range": f"bytes={start}-{start + length - 1}"}


def test_subscriber_gets_exact_bytes_and_the_answer_is_kept_for_the_ttl(
    site: Site, rights: Rights
) -> None:
    with _serve(site, TTL) as (app, listener):
        cookie = rights.sign_in()
        first, body = listener.get(rights.exclusive, cookie | _range(1000, 65536))
        assert first.status == 206
        assert body == site.data[1000 : 1000 + 65536]
        assert first.getheader("Content-Range") == f"bytes 1000-66535/{len(site.data)}"
        assert first.getheader("Cache-Control") == "private, no-cache"
        asked = _asked(app)
        assert asked >= 1

        # A player's next ranges: nginx already has Ondas's yes.
        for start in range(0, 10 * 65536, 65536):
            again, body = listener.get(rights.exclusive, cookie | _range(start, 65536))
            assert again.status == 206 and body == site.data[start : start + 65536]
        assert _asked(app) == asked

        # Signed out everywhere: the kept yes ends with its TTL, then Ondas's no.
        rights.sign_everyone_out()
        time.sleep(TTL + 1)
        refused, page = listener.get(rights.exclusive, cookie | _range(0, 100))
        assert refused.status == 403
        assert refused.getheader("Content-Type", "").startswith("text/html")
        assert b"/plans/" in page
        assert refused.getheader("Content-Range") is None


def test_with_ttl_zero_ondas_is_asked_on_every_request(
    site: Site, rights: Rights
) -> None:
    with _serve(site, 0) as (app, listener):
        cookie = rights.sign_in()
        before = _asked(app)
        for start in range(0, 5 * 65536, 65536):
            answer, body = listener.get(rights.exclusive, cookie | _range(start, 65536))
            assert answer.status == 206 and body == site.data[start : start + 65536]
        assert _asked(app) - before == 5

        rights.sign_everyone_out()
        refused, _ = listener.get(rights.exclusive, cookie | _range(0, 100))
        assert refused.status == 403


def test_anonymous_free_and_missing_audio_through_nginx(
    site: Site, rights: Rights
) -> None:
    with _serve(site, TTL) as (_app, listener):
        anonymous, page = listener.get(rights.exclusive, _range(0, 100))
        assert anonymous.status == 403 and b"/plans/" in page

        free, body = listener.get(site.audio_path, _range(0, 100))
        assert free.status == 206 and body == site.data[:100]
        assert free.getheader("Cache-Control") == "public, max-age=86400"

        head_ok, _ = listener.get(f"/audio/{rights.doomed}.mp3", _range(0, 9))
        assert head_ok.status == 206
        for path in Path(site.env["ONDAS_MEDIA_ROOT"]).rglob("doomed*.mp3"):
            path.unlink()
        # nginx still has Ondas's yes for it, finds no file, and asks Ondas.
        gone, page = listener.get(f"/audio/{rights.doomed}.mp3", _range(0, 9))
        assert gone.status == 404
        assert gone.getheader("Content-Type", "").startswith("text/html")

        unknown, _ = listener.get("/audio/999999.mp3")
        assert unknown.status == 404

        # Only nginx asks the question; a client asking it gets nothing.
        asked, body = listener.get(site.audio_path.replace(".mp3", "/rights"))
        assert asked.status == 404
        assert asked.getheader("X-Ondas-File") is None
