"""Studio uploads through the nginx site `ondas deploy nginx` renders.

nginx spools a request body to its own disk before it forwards it, unless
told not to: a tus PATCH cut off by a flaky link would then reach Ondas as
nothing at all, and a big chunk would meet the site's 512m body limit. The
site's /studio/uploads/ location streams the body to Ondas as it arrives, so
what came before the cut is kept and the client resumes from there.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.support.servers import (
    ONDAS,
    Site,
    nginx_running,
    ondas_serve,
    temporary_site,
)
from tests.support.studio_audio import audio_bytes

pytestmark = pytest.mark.slow

CREATOR = """
from django.test import Client
from ondas.accounts.models import User
user = User.objects.create_user("creator@example.com", "a long pass phrase")
client = Client()
client.force_login(user)
print("SESSION=%s" % client.cookies["sessionid"].value)
"""
CSRF = "C" * 32
# 1.6 MB of real MP3, far more than the 1k body limit the test gives the site.
AUDIO = audio_bytes("mp3", seconds=400)
LENGTH = len(AUDIO)
SENT_BEFORE_THE_CUT = 512 * 1024


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with temporary_site() as made:
        yield made


def _context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def test_a_patch_cut_off_through_nginx_keeps_what_arrived(site: Site) -> None:
    done = subprocess.run(
        [ONDAS, "manage", "shell", "-c", CREATOR],
        env=site.env, check=True, timeout=60, capture_output=True, text=True,
    )  # fmt: skip
    found = re.search(r"^SESSION=(\S+)$", done.stdout, re.MULTILINE)
    assert found is not None, done.stdout + done.stderr
    headers = {
        "Host": "localhost",
        "Origin": "https://localhost",
        "Cookie": f"sessionid={found.group(1)}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "Tus-Resumable": "1.0.0",
    }
    # The rest of the site keeps a small body limit: the upload location has its own.
    edit = {"client_max_body_size 512m;": "client_max_body_size 1k;"}
    with (
        ondas_serve(site, workers=1, threads=4) as app,
        nginx_running(site, upstream=app.port, edit=edit) as nginx,
    ):
        conn = http.client.HTTPSConnection(
            "127.0.0.1", nginx.port, context=_context(), timeout=10
        )
        conn.request(
            "POST",
            "/studio/uploads/",
            headers=headers | {"Upload-Length": str(LENGTH), "Content-Length": "0"},
        )
        created = conn.getresponse()
        created.read()
        assert created.status == 201, (created.status, nginx.error_log()[-2000:])
        location = created.headers["Location"]
        path = location[location.index("/studio/") :]

        # A PATCH that announces the whole file and is cut after 1 MiB.
        raw = socket.create_connection(("127.0.0.1", nginx.port), timeout=10)
        patch = _context().wrap_socket(raw, server_hostname="localhost")
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in (
                headers
                | {
                    "Upload-Offset": "0",
                    "Content-Type": "application/offset+octet-stream",
                    "Content-Length": str(LENGTH),
                }
            ).items()
        )
        patch.sendall(f"PATCH {path} HTTP/1.1\r\n{head}\r\n".encode())
        patch.sendall(AUDIO[:SENT_BEFORE_THE_CUT])

        def offset() -> int:
            conn = http.client.HTTPSConnection(
                "127.0.0.1", nginx.port, context=_context(), timeout=10
            )
            conn.request("HEAD", path, headers=headers)
            answer = conn.getresponse()
            answer.read()
            conn.close()
            assert answer.status == 200, answer.status
            return int(answer.headers["Upload-Offset"])

        # Streamed: the bytes are at Ondas while the PATCH is still open.
        deadline = time.monotonic() + 5
        while (seen := offset()) < SENT_BEFORE_THE_CUT and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == SENT_BEFORE_THE_CUT
        patch.close()  # the link drops
        time.sleep(0.5)
        assert offset() == SENT_BEFORE_THE_CUT, "what arrived before the cut is kept"

        # The client resumes where the server says, in one more PATCH.
        conn = http.client.HTTPSConnection(
            "127.0.0.1", nginx.port, context=_context(), timeout=10
        )
        rest = LENGTH - SENT_BEFORE_THE_CUT
        conn.request(
            "PATCH",
            path,
            body=AUDIO[SENT_BEFORE_THE_CUT:],
            headers=headers
            | {
                "Upload-Offset": str(SENT_BEFORE_THE_CUT),
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(rest),
            },
        )
        resumed = conn.getresponse()
        body = resumed.read()
        assert resumed.status == 204, (resumed.status, body[:300])
        assert int(resumed.headers["Upload-Offset"]) == LENGTH
        assert resumed.headers.get("Ondas-Audio-Id", "").isdigit()
