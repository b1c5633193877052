"""The nginx site `ondas deploy nginx` renders, run by Debian's nginx for real.

TLS with a certificate made here, HTTP/2 by ALPN, audio by X-Accel-Redirect
from a real `ondas serve`; reloads of both under h2load; GOAWAY on a graceful
quit seen by a frame-level client whose open stream still completes.
"""

from __future__ import annotations

import gzip
import http.client
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest
from hyperframe.frame import (
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    RstStreamFrame,
    WindowUpdateFrame,
)

from ondas.feeds.notice_audio import FILE as NOTICE_FILE
from ondas.feeds.notice_audio import notice_audio
from tests.support.servers import (
    ACCEL_PREFIX,
    ONDAS,
    Nginx,
    Served,
    Site,
    get,
    have,
    nginx_running,
    ondas_serve,
    temporary_site,
)

pytestmark = pytest.mark.slow

FRAME_HEADER = 9


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with temporary_site() as made:
        yield made


@pytest.fixture(scope="module")
def app(site: Site) -> Iterator[Served]:
    env = {"ONDAS_AUDIO_ACCEL_PREFIX": ACCEL_PREFIX}
    with ondas_serve(site, workers=2, threads=4, env=env, name="app") as served:
        yield served


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class H2Client:
    """A small HTTP/2 client over TLS with ALPN, reading frame by frame."""

    sock: ssl.SSLSocket
    conn: h2.connection.H2Connection
    pending: bytes = b""
    answers: dict[int, Answer] = field(default_factory=dict)

    @classmethod
    def connect(cls, nginx: Nginx) -> H2Client:
        context = ssl.create_default_context(cafile=str(nginx.cert))
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", nginx.port), timeout=10)
        sock = context.wrap_socket(raw, server_hostname="localhost")
        assert sock.selected_alpn_protocol() == "h2"
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        return cls(sock=sock, conn=conn)

    def send(self, path: str, headers: dict[str, str] | None = None) -> int:
        stream_id: int = self.conn.get_next_available_stream_id()
        fields = [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "localhost"),
            (":path", path),
            *(headers or {}).items(),
        ]
        self.conn.send_headers(stream_id, fields, end_stream=True)
        self.sock.sendall(self.conn.data_to_send())
        self.answers[stream_id] = Answer(0, {}, b"")
        return stream_id

    def next_frame(self) -> bytes:
        """Return the next whole frame from the socket, header included."""
        while True:
            if len(self.pending) >= FRAME_HEADER:
                length = int.from_bytes(self.pending[:3], "big")
                if len(self.pending) >= FRAME_HEADER + length:
                    frame = self.pending[: FRAME_HEADER + length]
                    self.pending = self.pending[FRAME_HEADER + length :]
                    return frame
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.pending += data

    def feed(self, frame: bytes, *, acknowledge: bool = True) -> list[h2.events.Event]:
        """Give one frame to the h2 state machine and apply its events."""
        events: list[h2.events.Event] = self.conn.receive_data(frame)
        for event in events:
            if isinstance(event, h2.events.ResponseReceived):
                answer = self.answers[event.stream_id]
                answer.headers = dict(event.headers)  # type: ignore[arg-type]
                answer.status = int(answer.headers[":status"])
            elif isinstance(event, h2.events.DataReceived):
                self.answers[event.stream_id].body += event.data
                if acknowledge:
                    self.conn.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id
                    )
        outgoing = self.conn.data_to_send()
        if outgoing:
            self.sock.sendall(outgoing)
        return events

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        stream_id = self.send(path, headers)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            events = self.feed(self.next_frame())
            if any(
                isinstance(e, h2.events.StreamEnded) and e.stream_id == stream_id
                for e in events
            ):
                return self.answers[stream_id]
        raise TimeoutError(path)

    def close(self) -> None:
        self.sock.close()


def test_rendered_site_serves_http2_tls_static_gzip_and_audio(
    site: Site, app: Served
) -> None:
    static = Path(site.env["ONDAS_DATA_DIR"]) / "static"
    static.mkdir(exist_ok=True)
    (static / "probe.css").write_text("body { color: #123456; }\n" * 100)
    artwork = Path(site.env["ONDAS_MEDIA_ROOT"]) / "artwork"
    artwork.mkdir(exist_ok=True)
    (artwork / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 100)
    for path in (static, artwork):
        path.chmod(0o755)
        for child in path.iterdir():
            child.chmod(0o644)

    with nginx_running(site, upstream=app.port) as nginx:
        client = H2Client.connect(nginx)
        try:
            audio = client.get(site.audio_path, {"range": "bytes=1000-200999"})
            whole = client.get(site.audio_path)
            direct = client.get(f"{ACCEL_PREFIX}audio/")
            ready = client.get("/readyz", {"x-request-id": "probe-1"})
            css = client.get("/static/probe.css", {"accept-encoding": "gzip"})
            cover = client.get("/media/artwork/cover.png")
            page = client.get("/", {"accept-encoding": "gzip"})
        finally:
            client.close()

    # audio: checked by Ondas, sent by nginx from the internal location
    assert audio.status == 206
    assert audio.body == site.data[1000:201000]
    assert audio.headers["content-range"] == f"bytes 1000-200999/{len(site.data)}"
    assert audio.headers["content-type"] == "audio/mpeg"
    assert audio.headers["cache-control"] == "public, max-age=86400"
    assert audio.headers["server"] == "nginx"
    assert "x-accel-redirect" not in audio.headers
    assert whole.status == 200 and whole.body == site.data
    # the internal location cannot be asked for directly
    assert direct.status == 404
    # operations endpoints pass through for this machine, with the request id
    assert ready.status == 200 and ready.headers["x-request-id"] == "probe-1"
    # static files and artwork come from disk; text is compressed
    assert css.status == 200 and css.headers.get("content-encoding") == "gzip"
    assert gzip.decompress(css.body).startswith(b"body { color: #123456; }")
    assert cover.status == 200 and cover.body.startswith(b"\x89PNG")
    assert page.status == 200 and page.headers.get("content-encoding") == "gzip"


def _https_get(port: int, path: str, *, source: str) -> tuple[int, bytes]:
    """GET over TLS (HTTP/1.1) from the local address ``source``."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=10, context=context, source_address=(source, 0)
    )
    try:
        conn.request("GET", path, headers={"Host": "localhost"})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def test_metrics_through_nginx_for_this_machine_only(site: Site, app: Served) -> None:
    """Ondas sees nginx's 127.0.0.1 for everyone: nginx's rule is the guard.

    127.0.0.2 is this machine too, but not the address nginx allows: it stands
    for a client from outside.
    """
    with nginx_running(site, upstream=app.port) as nginx:
        local = _https_get(nginx.port, "/metrics", source="127.0.0.1")
        outside = {
            path: _https_get(nginx.port, path, source="127.0.0.2")[0]
            for path in ("/metrics", "//metrics", "/%6detrics", "/metrics?x=1")
        }
    assert local[0] == 200 and b"ondas_process_resident_memory_bytes" in local[1]
    assert outside == dict.fromkeys(outside, 403)


def test_the_notice_chime_goes_out_as_a_static_file_of_its_length(
    site: Site, app: Served
) -> None:
    """What `collectstatic` puts in STATIC_ROOT, nginx sends: the length the
    ended private feed's enclosure says, as audio/mpeg, never gzipped."""
    notice = notice_audio()
    static = Path(site.env["ONDAS_DATA_DIR"]) / "static"
    target = static / notice.static_path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(NOTICE_FILE, target)
    for path in (static, target.parent):
        path.chmod(0o755)
    target.chmod(0o644)
    with nginx_running(site, upstream=app.port) as nginx:
        client = H2Client.connect(nginx)
        try:
            sent = client.get(
                f"/static/{notice.static_path}", {"accept-encoding": "gzip"}
            )
        finally:
            client.close()
    assert sent.status == 200
    assert sent.headers["content-type"] == "audio/mpeg"
    assert "content-encoding" not in sent.headers
    assert len(sent.body) == int(sent.headers["content-length"]) == notice.length
    assert "max-age" in sent.headers["cache-control"]


FEED_SHOW = """
from datetime import UTC, datetime
from ondas.catalog.models import AudioFile
from ondas.catalog.services import episode_create, show_create
show = show_create(title="Ops Feed", author="Ondas", language="es")
episode_create(show=show, guid="ops-1", title="Uno", description="Uno " * 300,
               published_at=datetime(2025, 1, 1, tzinfo=UTC),
               audio=AudioFile.objects.get(pk={audio_id}))
print("SLUG=" + show.slug)
"""


def test_a_feed_file_goes_out_through_nginx_gzipped_with_ondas_validators(
    site: Site, app: Served
) -> None:
    made = subprocess.run(
        [ONDAS, "manage", "shell", "-c", FEED_SHOW.format(audio_id=site.audio_id)],
        env=site.env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    slug = made.stdout.split("SLUG=")[1].strip()
    path = f"/shows/{slug}/feed.xml"
    direct, _ = get(app.port, path)
    target = direct.getheader("X-Accel-Redirect") or ""
    assert target.startswith(f"{ACCEL_PREFIX}feeds/")
    media = Path(site.env["ONDAS_MEDIA_ROOT"])
    body = (media / target.removeprefix(ACCEL_PREFIX)).read_bytes()
    with nginx_running(site, upstream=app.port) as nginx:
        client = H2Client.connect(nginx)
        try:
            plain = client.get(path)
            packed = client.get(path, {"accept-encoding": "gzip"})
            again = client.get(path, {"if-none-match": plain.headers["etag"]})
        finally:
            client.close()
    assert b"<rss" in body and direct.getheader("ETag", "").startswith('W/"')
    # (nginx's address is https and its own host: another feed file, same shape)
    assert plain.status == 200 and plain.body.startswith(body[:200])
    assert b"<title>Uno</title>" in plain.body
    # Ondas's validator, not nginx's file ETag, so the next request is a 304.
    assert plain.headers["etag"].startswith('W/"')
    assert packed.headers.get("content-encoding") == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert again.status == 304


def _h2load(args: list[str], requests: int) -> subprocess.Popen[str]:
    # A number of requests, not a duration: in timed mode h2load counts the
    # requests it cuts off itself when the time is up as failed.
    return subprocess.Popen(
        [have("h2load"), "-n", str(requests), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _h2load_summary(output: str) -> tuple[int, int, int, int, int, int, int]:
    summary = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
        r"(\d+) failed, (\d+) errored, (\d+) timeout",
        output,
    )
    codes = re.search(r"status codes: \d+ 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx", output)
    assert summary is not None and codes is not None, output
    total, done, succeeded, failed, errored, timeouts = (
        int(summary.group(n)) for n in (1, 3, 4, 5, 6, 7)
    )
    return (
        total,
        done,
        succeeded,
        failed,
        errored,
        timeouts,
        int(codes.group(1)) + int(codes.group(2)),
    )


def test_h2load_through_nginx_survives_app_reloads(site: Site, app: Served) -> None:
    """h2load (nghttp2) over TLS + HTTP/2 while `ondas serve` reloads twice."""
    with nginx_running(site, upstream=app.port) as nginx:
        url = f"https://127.0.0.1:{nginx.port}{site.audio_path}"
        load = _h2load(
            ["-c", "8", "-m", "4", "-H", "range: bytes=0-65535", url, "/readyz"], 8000
        )
        try:
            for _ in range(2):
                time.sleep(2.0)
                app.proc.send_signal(signal.SIGHUP)
            output, _ = load.communicate(timeout=120)
        finally:
            if load.poll() is None:
                load.kill()
                load.wait()

    total, done, succeeded, failed, errored, timeouts, bad = _h2load_summary(output)
    assert (failed, errored, timeouts, bad) == (0, 0, 0, 0), output
    assert done == succeeded == total == 8000, output
    assert app.proc.poll() is None


@dataclass
class LoadTally:
    ok: int = 0
    retried: int = 0
    goaways: int = 0
    failures: list[str] = field(default_factory=list)


def _h2_load_client(
    nginx: Nginx, path: str, deadline: float, tally: LoadTally, lock: threading.Lock
) -> None:
    """Four streams at a time over one connection, reconnecting after GOAWAY.

    As RFC 9113 (6.8) asks of clients, and as browsers do, a request on a
    stream the GOAWAY did not cover (id above its last stream id) was not
    processed and is sent again on a new connection. Anything else that does
    not end in 2xx (a reset, a cut connection, another status) is a failure.
    """
    pending: list[dict[str, str]] = []
    while time.monotonic() < deadline or pending:
        try:
            client = H2Client.connect(nginx)
        except OSError as exc:
            with lock:
                tally.failures.append(f"connect: {exc!r}")
            return
        try:
            live: set[int] = set()
            goaway: int | None = None
            while goaway is None:
                while len(live) < 4 and (time.monotonic() < deadline or pending):
                    start = (len(live) * 65536 * 13 + tally.ok * 4096) % (1 << 20)
                    headers = (
                        pending.pop()
                        if pending
                        else {"range": f"bytes={start}-{start + 65535}"}
                    )
                    stream_id = client.send(path, headers)
                    client.answers[stream_id].headers = {"sent": headers["range"]}
                    live.add(stream_id)
                if not live:
                    return
                raw = client.next_frame()
                frame, _length = Frame.parse_frame_header(
                    memoryview(raw[:FRAME_HEADER])
                )
                if isinstance(frame, GoAwayFrame):
                    frame.parse_body(memoryview(raw[FRAME_HEADER:]))
                    goaway = frame.last_stream_id
                    break
                for event in client.feed(raw):
                    if isinstance(event, h2.events.StreamEnded):
                        live.discard(event.stream_id)
                        _tally(client.answers.pop(event.stream_id), tally, lock)
                    elif isinstance(event, h2.events.StreamReset):
                        live.discard(event.stream_id)
                        with lock:
                            tally.failures.append(f"reset {event.error_code}")
            # GOAWAY: streams above its last id are retried; the rest finish.
            with lock:
                tally.goaways += 1
            for stream_id in sorted(live):
                if stream_id > goaway:
                    live.discard(stream_id)
                    pending.append(
                        {"range": client.answers.pop(stream_id).headers["sent"]}
                    )
                    with lock:
                        tally.retried += 1
            _finish_by_hand(client, live, tally, lock)
        except (OSError, ConnectionError) as exc:
            with lock:
                tally.failures.append(f"connection: {exc!r}")
        finally:
            client.close()


def _tally(answer: Answer, tally: LoadTally, lock: threading.Lock) -> None:
    with lock:
        if answer.status == 206 and len(answer.body) == 65536:
            tally.ok += 1
        else:
            tally.failures.append(f"status {answer.status}, {len(answer.body)} bytes")


def _finish_by_hand(
    client: H2Client, live: set[int], tally: LoadTally, lock: threading.Lock
) -> None:
    """After GOAWAY (h2 4.4.1 gives up there): read the covered streams' frames."""
    deadline = time.monotonic() + 10
    while live and time.monotonic() < deadline:
        raw = client.next_frame()
        frame, _length = Frame.parse_frame_header(memoryview(raw[:FRAME_HEADER]))
        frame.parse_body(memoryview(raw[FRAME_HEADER:]))
        if frame.stream_id not in live:
            continue
        answer = client.answers[frame.stream_id]
        if isinstance(frame, RstStreamFrame):
            live.discard(frame.stream_id)
            with lock:
                tally.failures.append(f"reset after GOAWAY {frame.error_code}")
            continue
        if isinstance(frame, HeadersFrame):
            # The connection's own HPACK decoder: its dynamic table is current.
            fields = dict(client.conn.decoder.decode(frame.data))
            status = fields.get(b":status", fields.get(":status", b"0"))  # type: ignore[call-overload]
            answer.status = int(status)
        elif isinstance(frame, DataFrame):
            answer.body += frame.data
            if frame.flow_controlled_length:
                increment = frame.flow_controlled_length
                client.sock.sendall(
                    WindowUpdateFrame(0, window_increment=increment).serialize()
                    + WindowUpdateFrame(
                        frame.stream_id, window_increment=increment
                    ).serialize()
                )
        if "END_STREAM" in frame.flags:
            live.discard(frame.stream_id)
            _tally(client.answers.pop(frame.stream_id), tally, lock)
    for stream_id in live:
        with lock:
            tally.failures.append(f"stream {stream_id} unfinished after GOAWAY")


def test_h2_clients_survive_nginx_reloads_and_app_reloads(
    site: Site, app: Served
) -> None:
    """nginx -s reload twice and SIGHUP to `ondas serve` twice, under HTTP/2 load.

    h2load does not retry the requests a GOAWAY left unprocessed and counts
    them failed (0 to 7 of ~1,500 per run here, only when nginx reloads), so
    this load comes from clients that behave as the RFC asks.
    """
    tally, lock = LoadTally(), threading.Lock()
    with nginx_running(site, upstream=app.port) as nginx:
        deadline = time.monotonic() + 8
        clients = [
            threading.Thread(
                target=_h2_load_client,
                args=(nginx, site.audio_path, deadline, tally, lock),
            )
            for _ in range(6)
        ]
        for client in clients:
            client.start()
        for action in ("nginx", "app", "nginx", "app"):
            time.sleep(1.5)
            if action == "nginx":
                nginx.signal("reload")
            else:
                app.proc.send_signal(signal.SIGHUP)
        for client in clients:
            client.join(timeout=30)

    assert tally.failures == [], tally.failures[:10]
    assert tally.goaways >= 2, "each nginx reload should have sent GOAWAY"
    assert tally.ok > 200
    assert app.proc.poll() is None


def test_goaway_on_graceful_quit_and_open_stream_completes(
    site: Site, app: Served
) -> None:
    """nginx -s quit: GOAWAY (NO_ERROR) at once, and the open stream still ends.

    h2 4.4.1 treats the connection as closed after GOAWAY and raises on the
    DATA frames that follow (python-hyper/h2 #1181), so after GOAWAY this
    client parses frames itself with hyperframe and grants flow-control
    window by hand.
    """
    with nginx_running(site, upstream=app.port) as nginx:
        client = H2Client.connect(nginx)
        try:
            stream_id = client.send(site.audio_path)
            answer = client.answers[stream_id]
            # Take the first window's worth (64 KiB) without granting more, so
            # nginx must hold the rest of the stream open.
            while len(answer.body) < 60_000:
                client.feed(client.next_frame(), acknowledge=False)
            assert answer.status == 200

            nginx.signal("quit")
            goaway: GoAwayFrame | None = None
            deadline = time.monotonic() + 10
            while goaway is None and time.monotonic() < deadline:
                raw = client.next_frame()
                frame, length = Frame.parse_frame_header(memoryview(raw[:FRAME_HEADER]))
                if isinstance(frame, GoAwayFrame):
                    frame.parse_body(memoryview(raw[FRAME_HEADER:]))
                    goaway = frame
                else:
                    client.feed(raw, acknowledge=False)
            assert goaway is not None, "no GOAWAY after nginx -s quit"
            assert goaway.error_code == 0  # NO_ERROR
            assert goaway.last_stream_id >= stream_id
            assert nginx.proc.poll() is None, "nginx left before the stream ended"

            # After GOAWAY: frames by hand, window granted by hand.
            body = _read_rest_by_hand(client, stream_id, answer.body, len(site.data))
        finally:
            client.close()
        nginx.proc.wait(timeout=15)

    assert body == site.data
    assert nginx.proc.returncode == 0


def _read_rest_by_hand(
    client: H2Client, stream_id: int, body: bytes, length: int
) -> bytes:
    received = [body]
    got = len(body)
    # The window the stream and the connection start from after the pause.
    grant = WindowUpdateFrame(0, window_increment=1 << 20)
    client.sock.sendall(grant.serialize())
    grant = WindowUpdateFrame(stream_id, window_increment=1 << 20)
    client.sock.sendall(grant.serialize())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        raw = client.next_frame()
        frame, _length = Frame.parse_frame_header(memoryview(raw[:FRAME_HEADER]))
        frame.parse_body(memoryview(raw[FRAME_HEADER:]))
        if isinstance(frame, RstStreamFrame):
            pytest.fail(f"stream reset after GOAWAY: error {frame.error_code}")
        if isinstance(frame, HeadersFrame):
            continue
        if isinstance(frame, DataFrame) and frame.stream_id == stream_id:
            received.append(frame.data)
            got += len(frame.data)
            if frame.flow_controlled_length:
                increment = frame.flow_controlled_length
                client.sock.sendall(
                    WindowUpdateFrame(0, window_increment=increment).serialize()
                    + WindowUpdateFrame(
                        stream_id, window_increment=increment
                    ).serialize()
                )
            if "END_STREAM" in frame.flags:
                assert got == length
                return b"".join(received)
    pytest.fail(f"stream did not finish after GOAWAY: {got} of {length} bytes")
