"""The lean audio path under a real `ondas serve`, two workers.

A subscriber's ranges of an exclusive episode: the same answers as the full
stack (``ONDAS_LEAN_AUDIO=0``) but the date; a yes kept by both workers ends
in both the moment the subscriber signs out through the site, however long
the TTL; /metrics counts the requests and the bytes.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.support.servers import ONDAS, Served, Site, ondas_serve, temporary_site

pytestmark = pytest.mark.slow

SETUP = """
import io, pathlib
from django.test import Client
from django.utils import timezone
from ondas.accounts.models import User
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.services import plan_create, subscription_start
from ondas.catalog.models import AudioFile, Episode
from ondas.catalog.services import episode_create, show_create
show = show_create(title="Lean", author="Ondas", language="es")
episode_create(show=show, guid="lean-1", title="Exclusive",
               audio=AudioFile.objects.get(pk={audio_id}),
               published_at=timezone.now(), access=Episode.Access.EXCLUSIVE)
plan = plan_create(slug="premium", name="Premium", price_minor=9900,
                   currency="MXN", trial_days=7, audiobook_hours=20,
                   includes_exclusive=True)
user = User.objects.create_user("lean@example.com", "a long pass phrase")
subscription_start(user=user, plan=plan, now=timezone.now(),
                   payment_method=payment_method_from_test_card("4242424242424242"))
client = Client()
client.force_login(user)
print("COOKIE=%s" % client.cookies["sessionid"].value)
"""
CONNECTIONS = 24  # new connections, so both workers answer some


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Site, str]]:
    with temporary_site() as made:
        done = subprocess.run(
            [ONDAS, "manage", "shell", "-c", SETUP.format(audio_id=made.audio_id)],
            env=made.env,
            check=True,
            timeout=120,
            capture_output=True,
            text=True,
        )
        match = re.search(r"COOKIE=(\S+)", done.stdout)
        assert match is not None, done.stdout + done.stderr
        yield made, match.group(1)


def _get(
    port: int,
    path: str,
    *,
    cookie: str,
    method: str = "GET",
    body: str | None = None,
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {"Cookie": f"sessionid={cookie}", "X-Request-ID": "lean-ops"}
        conn.request(method, path, body=body, headers=sent | headers)
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def _range(served: Served, site: Site, cookie: str) -> tuple[int, dict[str, str]]:
    status, headers, body = _get(
        served.port, site.audio_path, cookie=cookie, Range="bytes=1000-1999"
    )
    if status == 206:
        assert body == site.data[1000:2000]
    headers.pop("date")
    return status, headers


def _sign_out(port: int, cookie: str) -> None:
    """POST the sign-out form as a browser does (its CSRF token and cookie)."""
    status, headers, page = _get(port, "/account/sign-out/", cookie=cookie)
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    csrf = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
    assert token is not None and csrf is not None
    status, _headers, _body = _get(
        port,
        "/account/sign-out/",
        cookie=f"{cookie}; csrftoken={csrf.group(1)}",
        method="POST",
        body=f"csrfmiddlewaretoken={token.group(1).decode()}",
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302


def _sample(text: str, name: str, labels: tuple[str, ...]) -> float | None:
    """The value of the sample ``name`` whose labels include ``labels``."""
    for line in text.splitlines():
        if line.startswith(name) and all(label in line for label in labels):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_lean_answers_like_the_full_stack_and_signing_out_ends_every_kept_yes(
    site: tuple[Site, str],
) -> None:
    made, cookie = site
    ttl = {"ONDAS_AUDIO_RIGHTS_TTL": "3600"}
    with (
        ondas_serve(made, workers=2, threads=4, env=ttl, name="lean") as lean,
        ondas_serve(
            made, workers=1, env=ttl | {"ONDAS_LEAN_AUDIO": "0"}, name="full"
        ) as full,
    ):
        # given: every worker of the lean server keeps the subscriber's yes
        answers = [_range(lean, made, cookie) for _ in range(CONNECTIONS)]
        expected = _range(full, made, cookie)
        assert expected[0] == 206
        assert answers == [expected] * CONNECTIONS
        assert expected[1]["vary"] == "Cookie"
        assert expected[1]["x-frame-options"] == "DENY"

        # when: the subscriber signs out, through the site
        _sign_out(lean.port, cookie)

        # then: the old cookie plays nowhere, whichever worker answers
        refused = {_range(lean, made, cookie)[0] for _ in range(CONNECTIONS)}
        assert refused == {403}
        # Each worker hands its counts over twice a second (metrics._Writes).
        deadline = time.monotonic() + 5
        while True:
            _status, _headers, text = _get(lean.port, "/metrics", cookie="")
            metrics = text.decode()
            counted = _sample(
                metrics,
                "ondas_http_requests_total",
                ('method="GET"', 'route="playback:audio-ext"', 'status="206"'),
            )
            sent = _sample(metrics, "ondas_audio_bytes_sent_total", ())
            done = (counted, sent) == (CONNECTIONS, CONNECTIONS * 1000)
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert (counted, sent) == (CONNECTIONS, CONNECTIONS * 1000)
        assert _sample(metrics, "ondas_audio_streams_open", ()) == 0
