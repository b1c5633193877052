"""Feed test helpers: a real HTTP server on 127.0.0.1 that serves whatever a test
tells it to (byte ranges too, when asked), a tiny real MP3, and a small show
with everything a feed can show.
The fixtures that use them are in tests/conftest.py."""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.files import File

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Episode, FeedPerson, FeedProfile, Show
from ondas.catalog.services import audio_file_create, episode_create, show_create
from ondas.ops.demo_audio import encode_tone_mp3


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    # Seconds to wait before the status line; seconds between body chunks.
    delay: float = 0.0
    dribble: float = 0.0
    # Declare a Content-Length other than the body's (a cut-off transfer);
    # -1 sends none (the body ends when the connection closes).
    declared_length: int | None = None
    # Answer a "Range: bytes=a-b" request with 206 and those bytes alone.
    ranges: bool = False


_RANGE_RE = re.compile(r"bytes=(\d+)-(\d*)")


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append((self.path, dict(self.headers.items())))
                reply = server.routes.get(self.path, Reply(b"not here", status=404))
                if reply.delay:
                    server.stopping.wait(reply.delay)
                if reply.etag and self.headers.get("If-None-Match") == reply.etag:
                    self.send_response(304)
                    self.send_header("ETag", reply.etag)
                    self.end_headers()
                    return
                match = _RANGE_RE.fullmatch(self.headers.get("Range") or "")
                if reply.ranges and match is not None:
                    whole = len(reply.body)
                    first = int(match[1])
                    last = min(int(match[2] or whole - 1), whole - 1)
                    reply = replace(
                        reply,
                        status=206,
                        body=reply.body[first : last + 1],
                        headers=reply.headers
                        | {"Content-Range": f"bytes {first}-{last}/{whole}"},
                    )
                self.send_response(reply.status)
                length = (
                    reply.declared_length
                    if reply.declared_length is not None
                    else len(reply.body)
                )
                if length >= 0:
                    self.send_header("Content-Length", str(length))
                if reply.etag:
                    self.send_header("ETag", reply.etag)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if not reply.dribble:
                        self.wfile.write(reply.body)
                        return
                    for start in range(0, len(reply.body), 64):
                        if server.stopping.wait(reply.dribble):
                            return
                        self.wfile.write(reply.body[start : start + 64])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, reply: Reply) -> str:
        self.routes[path] = reply
        return self.url(path)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


_MP3: dict[int, bytes] = {}


def tiny_mp3(seconds: int = 2) -> bytes:
    """A real MP3 of a few seconds, encoded once per session."""
    if seconds not in _MP3:
        buffer = io.BytesIO()
        encode_tone_mp3(buffer, duration_seconds=seconds)
        _MP3[seconds] = buffer.getvalue()
    return _MP3[seconds]


def artwork_png() -> File[bytes]:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1400, 1400), (10, 80, 120)).save(buffer, format="PNG")
    buffer.seek(0)
    return File(buffer, name="pequeno.png")


def small_show_make() -> Show:
    """A show with three free episodes with audio and chapters, one exclusive,
    one without audio, one scheduled for later, people and a funding link."""
    show = show_create(
        title="Pequeño Show",
        author="Ana Pérez",
        language="es-MX",
        description="<p>Tiny &amp; <strong>short</strong>.</p>",
        categories=["Technology", "News > Tech News"],
        explicit=True,
        artwork=artwork_png(),
    )
    base = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    for n in range(5):
        audio = audio_file_create(
            name=f"ep{n}.mp3",
            content=io.BytesIO(tiny_mp3()),
            mime_type="audio/mpeg",
            duration_seconds=2.0,
            bitrate=32000,
        )
        episode_create(
            show=show,
            guid=f"small-{n}",
            title=f"Capítulo {n} <y> & más",
            published_at=base + timedelta(days=n),
            description=f"<p>Episode {n}: 0:00 Hola 1:30 Fin</p>",
            duration_seconds=1800.0 + n,
            season=1,
            number=n + 1,
            access=Episode.Access.EXCLUSIVE if n == 3 else Episode.Access.FREE,
            kind=Episode.Kind.TRAILER if n == 0 else Episode.Kind.FULL,
            audio=None if n == 4 else audio,
            chapters=[
                ChapterInput(0.0, "Hola"),
                ChapterInput(90.5, "Medio", url="https://ex.com/medio"),
                ChapterInput(600.0 + n, "Fin"),
            ],
        )
    episode_create(
        show=show,
        guid="small-future",
        title="Mañana",
        published_at=datetime(2999, 1, 1, tzinfo=UTC),
        audio=audio,
    )
    FeedProfile.objects.create(
        show=show,
        owner_name="Ana Pérez",
        owner_email="ana@example.com",
        locked=True,
        funding_url="https://ex.com/apoya",
        funding_text="Apoya el show",
    )
    FeedPerson.objects.create(show=show, name="Ana Pérez", role="host")
    return show
