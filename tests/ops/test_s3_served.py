"""Audio in an S3-compatible bucket (a real moto server) served by real
processes: nginx in front proxying the object after Ondas's yes, and
`ondas serve` alone streaming it; both counted in their delivery logs."""

from __future__ import annotations

import http.client
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.s3 import BUCKET, S3Server, moto_s3_server
from tests.support.servers import (
    ACCEL_PREFIX,
    ONDAS,
    Site,
    get,
    nginx_ask,
    nginx_running,
    ondas_serve,
    temporary_site,
)

pytestmark = pytest.mark.slow

EXCLUSIVE = """
import io
from datetime import UTC, datetime
from ondas.catalog.models import Episode
from ondas.catalog.services import audio_file_create, episode_create, show_create
audio = audio_file_create(name="locked.mp3", content=io.BytesIO(b"L" * 50_000),
                          mime_type="audio/mpeg", duration_seconds=60.0)
show = show_create(title="Sala", author="Ondas", language="es")
episode_create(show=show, guid="locked-1", title="Locked",
               published_at=datetime(2025, 1, 1, tzinfo=UTC),
               access=Episode.Access.EXCLUSIVE, audio=audio)
print("LOCKED=%d" % audio.pk)
"""


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with tempfile.TemporaryDirectory(prefix="ondas-moto-") as directory:
        with moto_s3_server(Path(directory) / "moto.log") as server:
            yield server


@pytest.fixture(scope="module")
def site(s3: S3Server) -> Iterator[Site]:
    env = s3.env | {"ONDAS_MEDIA_STORAGE": "s3"}
    with temporary_site(size=2 * 1024 * 1024 + 777, extra_env=env) as made:
        yield made


@pytest.fixture(scope="module")
def locked(site: Site) -> int:
    import subprocess

    done = subprocess.run(
        [ONDAS, "manage", "shell", "-c", EXCLUSIVE],
        env=site.env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.split("LOCKED=")[1].split()[0])


def test_s3_audio_through_nginx_range_head_if_range_and_the_delivery_log(
    s3: S3Server, site: Site, locked: int
) -> None:
    assert site.data[:4] and any(key.endswith("ops.mp3") for key in s3.keys())
    env = {"ONDAS_AUDIO_ACCEL_PREFIX": ACCEL_PREFIX}
    with ondas_serve(site, env=env, name="s3-accel") as app:
        with nginx_running(site, upstream=app.port) as nginx:
            path = site.audio_path
            mib = 1024 * 1024
            part = nginx_ask(
                nginx, "GET", path, {"Range": f"bytes={mib}-{2 * mib - 1}"}
            )
            head = nginx_ask(nginx, "HEAD", path)
            whole = nginx_ask(nginx, "GET", path)
            etag = whole[1]["etag"]
            same = nginx_ask(
                nginx, "GET", path, {"Range": "bytes=0-9", "If-Range": etag}
            )
            other = nginx_ask(
                nginx, "GET", path, {"Range": "bytes=0-9", "If-Range": '"x"'}
            )
            cached = nginx_ask(nginx, "GET", path, {"If-None-Match": etag})
            refused = nginx_ask(
                nginx, "GET", f"/audio/{locked}.mp3", {"Range": "bytes=0-99"}
            )
            internal = nginx_ask(
                nginx, "GET", f"/_s3_media/{site.audio_id}/l/-/{BUCKET}/x"
            )
            error_log = nginx.error_log()
            time.sleep(0.2)  # nginx writes its log line after the response
            lines = [
                json.loads(line)
                for line in (nginx.tmp / "ondas.audio.json").read_text().splitlines()
            ]

    status, headers, body = part
    assert status == 206, error_log
    assert body == site.data[mib : 2 * mib]
    assert headers["content-range"] == f"bytes {mib}-{2 * mib - 1}/{len(site.data)}"
    assert headers["content-type"] == "audio/mpeg"
    assert headers["cache-control"] == "public, max-age=86400"
    assert head[0] == 200 and head[2] == b""
    assert head[1]["content-length"] == str(len(site.data))
    assert whole[0] == 200 and whole[2] == site.data
    assert same[0] == 206 and same[2] == site.data[:10]
    assert other[0] == 200 and other[2] == site.data
    assert cached[0] == 304 and cached[2] == b""
    # The client never learns where the bytes are kept.
    for answer in (part, head, whole):
        text = json.dumps(answer[1]).lower()
        assert BUCKET not in text and str(s3.port) not in text
        assert not any(name.startswith("x-amz") for name in answer[1])
        assert "x-accel-redirect" not in answer[1] and "ondas-audio" not in answer[1]
    assert refused[0] == 403 and b"L" * 100 not in refused[2]
    assert internal[0] == 404
    # Every delivery is a line of nginx's delivery log, with its audio id.
    delivered = [line for line in lines if line["audio"] == str(site.audio_id)]
    assert [(d["method"], d["status"], d["bytes"]) for d in delivered[:3]] == [
        ("GET", 206, mib),
        ("HEAD", 200, 0),
        ("GET", 200, len(site.data)),
    ]


def test_ondas_serve_alone_streams_s3_audio_with_range_head_and_if_range(
    site: Site, locked: int
) -> None:
    with ondas_serve(site, name="s3-direct") as app:
        path = site.audio_path
        part, part_body = get(app.port, path, {"Range": "bytes=100-1099"})
        whole, whole_body = get(app.port, path)
        etag = whole.getheader("ETag") or ""
        same, same_body = get(app.port, path, {"Range": "bytes=0-9", "If-Range": etag})
        other, other_body = get(
            app.port, path, {"Range": "bytes=0-9", "If-Range": '"changed"'}
        )
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        conn.request("HEAD", path)
        head = conn.getresponse()
        head_body = head.read()
        conn.close()
        refused, refused_body = get(app.port, f"/audio/{locked}.mp3")
    logs = list((site.root / "data" / "analytics").glob("serve-*.jsonl"))
    lines = [json.loads(x) for log in logs for x in log.read_text().splitlines()]

    assert part.status == 206 and part_body == site.data[100:1100]
    assert part.getheader("Content-Range") == f"bytes 100-1099/{len(site.data)}"
    assert whole.status == 200 and whole_body == site.data
    assert same.status == 206 and same_body == site.data[:10]
    assert other.status == 200 and other_body == site.data
    assert head.status == 200 and head_body == b""
    assert head.getheader("Content-Length") == str(len(site.data))
    assert refused.status == 403 and b"L" * 100 not in refused_body
    counted = sorted(
        (line["status"], line["bytes"])
        for line in lines
        if line["audio"] == str(site.audio_id)
    )
    assert (206, 1000) in counted and (200, len(site.data)) in counted
