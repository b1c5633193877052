"""``ONDAS_S3_DELIVERY=redirect`` behind real nginx, audio in a real moto S3
server: nginx asks Ondas, Ondas answers a 302 to a presigned URL, and the
player fetches its range from the endpoint itself. The right to listen is
checked on every request: an exclusive episode gets no redirect without it.
(moto is a stand-in for the operator's store: any S3 service, Ceph RGW,
Garage.)"""

from __future__ import annotations

import http.client
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.s3 import BUCKET, S3Server, moto_s3_server
from tests.support.servers import (
    ACCEL_PREFIX,
    MIB,
    ONDAS,
    Nginx,
    Site,
    nginx_ask,
    nginx_running,
    ondas_serve,
    temporary_site,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
URL_SECONDS = 180
LOCKED_BYTES = bytes(range(256)) * 400
PREPARE = """
import io
from datetime import UTC, datetime
from django.test import Client
from django.utils.timezone import now
from ondas.accounts.models import User
from ondas.catalog.models import Episode
from ondas.catalog.services import audio_file_create, episode_create, show_create
from tests.support.billing import premium_plan_make, subscribe
audio = audio_file_create(name="members.mp3",
                          content=io.BytesIO(bytes(range(256)) * 400),
                          mime_type="audio/mpeg", duration_seconds=60.0)
show = show_create(title="Solo Socios", author="Ondas", language="es")
episode_create(show=show, guid="members-1", title="Para socios",
               published_at=datetime(2025, 1, 1, tzinfo=UTC),
               access=Episode.Access.EXCLUSIVE, audio=audio)
user = User.objects.create_user(email="socia@example.com",
                                password="a long pass phrase for tests")
subscribe(user, premium_plan_make(), now=now())
client = Client()
client.force_login(user)
print("LOCKED=%d SESSION=%s" % (audio.pk, client.cookies["sessionid"].value))
"""


@dataclass(frozen=True)
class Redirecting:
    s3: S3Server
    site: Site
    nginx: Nginx
    locked: int
    session: str


@pytest.fixture(scope="module")
def served() -> Iterator[Redirecting]:
    """A site with its audio in the bucket, `ondas serve` in redirect mode
    behind nginx; all stopped after the module."""
    with tempfile.TemporaryDirectory(prefix="ondas-moto-") as directory:
        with moto_s3_server(Path(directory) / "moto.log") as s3:
            env = s3.env | {
                "ONDAS_MEDIA_STORAGE": "s3",
                "ONDAS_S3_DELIVERY": "redirect",
                "ONDAS_S3_URL_SECONDS": str(URL_SECONDS),
            }
            with temporary_site(size=2 * MIB + 333, extra_env=env) as site:
                done = subprocess.run(
                    [ONDAS, "manage", "shell", "-c", PREPARE],
                    env=site.env
                    | {
                        "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
                        "ONDAS_LOG_LEVEL": "ERROR",
                    },
                    check=True,
                    timeout=120,
                    capture_output=True,
                    text=True,
                )
                found = re.search(r"LOCKED=(\d+) SESSION=(\S+)", done.stdout)
                assert found is not None, done.stdout + done.stderr
                serve_env = {"ONDAS_AUDIO_ACCEL_PREFIX": ACCEL_PREFIX}
                with (
                    ondas_serve(site, env=serve_env, name="s3-redirect") as app,
                    nginx_running(site, upstream=app.port) as nginx,
                ):
                    yield Redirecting(
                        s3=s3,
                        site=site,
                        nginx=nginx,
                        locked=int(found.group(1)),
                        session=found.group(2),
                    )


def _ask(
    nginx: Nginx, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request to nginx for the site's host; redirects are not followed."""
    return nginx_ask(nginx, method, path, {"Host": "localhost"} | (headers or {}))


def _follow(
    location: str, method: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """What the player does with the 302: the same request to the endpoint."""
    url = urlsplit(location)
    assert url.scheme == "http" and url.hostname == "127.0.0.1" and url.port
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    try:
        conn.request(method, f"{url.path}?{url.query}", headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def _assert_presigned_redirect(
    answer: tuple[int, dict[str, str], bytes], s3: S3Server
) -> str:
    status, headers, _body = answer
    assert status == 302, answer
    location = headers["location"]
    url = urlsplit(location)
    assert url.port == s3.port and url.path.startswith(f"/{BUCKET}/")
    assert parse_qs(url.query)["X-Amz-Expires"] == [str(URL_SECONDS)]
    # Nobody keeps the redirect: the next request asks Ondas again.
    assert headers["cache-control"] == "private, no-store"
    assert "x-accel-redirect" not in headers and "ondas-audio" not in headers
    return location


def test_a_players_range_reaches_the_bytes_through_the_redirect(
    served: Redirecting,
) -> None:
    site, nginx = served.site, served.nginx
    wanted = {"Range": f"bytes={MIB}-{MIB + 99_999}"}

    answer = _ask(nginx, "GET", site.audio_path, wanted)
    location = _assert_presigned_redirect(answer, served.s3)
    status, headers, body = _follow(location, "GET", wanted)

    assert status == 206
    assert body == site.data[MIB : MIB + 100_000]
    assert headers["content-range"] == f"bytes {MIB}-{MIB + 99_999}/{len(site.data)}"
    # The endpoint answers with the headers Ondas signed into the URL.
    assert headers["content-type"] == "audio/mpeg"
    assert headers["cache-control"] == "public, max-age=86400"

    # HEAD is signed as a HEAD: the endpoint tells the length, sends nothing.
    head = _ask(nginx, "HEAD", site.audio_path)
    status, headers, body = _follow(_assert_presigned_redirect(head, served.s3), "HEAD")
    assert status == 200 and body == b""
    assert headers["content-length"] == str(len(site.data))


def test_an_exclusive_episode_is_redirected_only_for_a_listener_with_the_right(
    served: Redirecting,
) -> None:
    path = f"/audio/{served.locked}.mp3"
    wanted = {"Range": "bytes=0-999"}

    refused = _ask(served.nginx, "GET", path, wanted)
    head_refused = _ask(served.nginx, "HEAD", path)
    cookie = {"Cookie": f"sessionid={served.session}"}
    allowed = _ask(served.nginx, "GET", path, wanted | cookie)

    for status, headers, body in (refused, head_refused):
        assert status == 403
        assert "location" not in headers
        assert str(served.s3.port) not in repr(headers) + body.decode(errors="replace")
        assert LOCKED_BYTES[:100] not in body
    status, _headers, body = _follow(
        _assert_presigned_redirect(allowed, served.s3), "GET", wanted
    )
    assert status == 206 and body == LOCKED_BYTES[:1000]
