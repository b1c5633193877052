"""The same traffic counts the same downloads whether `ondas serve` sends the
bytes itself (its own delivery log) or nginx does in front of it (the
``ondas_audio`` JSON log of the site `ondas deploy nginx` writes)."""

from __future__ import annotations

import http.client
import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import (
    ACCEL_PREFIX,
    ONDAS,
    Site,
    nginx_running,
    ondas_serve,
    temporary_site,
)

MAKE_EPISODE = """
from datetime import UTC, datetime
from ondas.catalog.models import AudioFile
from ondas.catalog.services import episode_create, show_create
show = show_create(title="Dos caminos", author="Ana", language="es")
episode_create(show=show, guid="uno", title="Uno", access="free",
               published_at=datetime(2025, 1, 1, tzinfo=UTC),
               audio=AudioFile.objects.get(pk={audio_id}))
"""
FORGET = """
from ondas.analytics.models import *
for model in (DownloadWindow, ListenerDay, DailyEpisodeDownloads,
              DailyShowDownloads, LogCursor, DaySalt):
    model.objects.all().delete()
"""
PHONE = "AppleCoreMedia/1.0.0.20E247 (iPhone; U; CPU OS 16_4 like Mac OS X; en_us)"
# (source address, user agent, Range): a minute of this file is ~316 KB.
TRAFFIC = [
    ("127.0.0.1", PHONE, "bytes=0-1"),
    ("127.0.0.1", PHONE, "bytes=0-99999"),
    ("127.0.0.1", PHONE, "bytes=100000-399999"),  # with the first: a download
    ("127.0.0.2", "curl/8.5.0", ""),  # a bot
    ("127.0.0.2", "AntennaPod/3.4.0", "bytes=0-49999"),  # too little
    ("127.0.0.2", "Overcast/3.0", ""),  # the whole file: a download
]


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with temporary_site() as made:
        subprocess.run(
            [
                ONDAS,
                "manage",
                "shell",
                "-c",
                MAKE_EPISODE.format(audio_id=made.audio_id),
            ],
            env=made.env,
            check=True,
            timeout=60,
        )
        yield made


def _send(
    conn: http.client.HTTPConnection, path: str, agent: str, range_header: str
) -> int:
    headers = {"Host": "localhost", "User-Agent": agent}
    if range_header:
        headers["Range"] = range_header
    try:
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def _ingest(site: Site, *paths: Path) -> int:
    subprocess.run(
        [ONDAS, "manage", "shell", "-c", FORGET], env=site.env, check=True, timeout=60
    )
    total = 0
    for path in paths:
        done = subprocess.run(
            [ONDAS, "analytics", "ingest", str(path)],
            env=site.env,
            check=True,
            timeout=60,
            capture_output=True,
            text=True,
        )
        match = re.search(r"(\d+) download\(s\), 0 malformed", done.stdout)
        assert match is not None, done.stdout + done.stderr
        total += int(match[1])
    return total


def _log_lines(path: Path, expected: int, within: float = 5.0) -> list[bytes]:
    """The lines of nginx's log once it holds `expected` of them (or whatever
    it holds after `within` seconds): nginx writes a request's line after the
    last byte has gone out, so a client that has read it all can be first."""
    deadline = time.monotonic() + within
    while True:
        lines = path.read_bytes().splitlines() if path.exists() else []
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_nginx_log_and_serve_log_count_the_same(site: Site) -> None:
    serve_logs = Path(site.env["ONDAS_DATA_DIR"]) / "analytics"
    with ondas_serve(site, workers=1) as direct:
        statuses = [
            _send(
                http.client.HTTPConnection(
                    "127.0.0.1", direct.port, timeout=10, source_address=(source, 0)
                ),
                site.audio_path,
                agent,
                range_header,
            )
            for source, agent, range_header in TRAFFIC
        ]
    assert statuses == [206, 206, 206, 200, 206, 200]
    direct_files = sorted(serve_logs.glob("serve-*.jsonl"))
    assert sum(len(p.read_bytes().splitlines()) for p in direct_files) == len(TRAFFIC)
    direct_downloads = _ingest(site, *direct_files)
    for path in direct_files:
        path.unlink()

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    accel = {"ONDAS_AUDIO_ACCEL_PREFIX": ACCEL_PREFIX}
    with ondas_serve(site, workers=1, env=accel) as app:
        with nginx_running(site, upstream=app.port) as nginx:
            statuses = [
                _send(
                    http.client.HTTPSConnection(
                        "127.0.0.1",
                        nginx.port,
                        timeout=10,
                        context=context,
                        source_address=(source, 0),
                    ),
                    site.audio_path,
                    agent,
                    range_header,
                )
                for source, agent, range_header in TRAFFIC
            ]
            nginx_log = nginx.tmp / "ondas.audio.json"
            lines = _log_lines(nginx_log, len(TRAFFIC))
    assert statuses == [206, 206, 206, 200, 206, 200]
    assert len(lines) == len(TRAFFIC)
    # nginx sent the bytes: `ondas serve` logged no delivery of its own.
    assert not any(p.stat().st_size for p in serve_logs.glob("serve-*.jsonl"))
    nginx_downloads = _ingest(site, nginx_log)

    assert direct_downloads == nginx_downloads == 2, lines
