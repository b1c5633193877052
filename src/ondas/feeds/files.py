"""Feeds rendered once per content version into files, and sent like audio.

A feed's document depends only on what its validators name (the show's
content version, the site's address and, for a private feed, the key and the
rights), so it is written once per validator into
``MEDIA_ROOT/feeds/<show>/<name>-<digest>.xml`` with a gzip-compressed copy
beside it (``.xml.gz``), and every later request sends the file: by
``sendfile(2)`` under ``ondas serve`` (``FileResponse`` reaches Gunicorn's
file wrapper) or by ``X-Accel-Redirect`` behind nginx, whose internal
location picks the ``.gz`` itself (``gzip_static``) — the same path audio takes.

``<name>`` is ``public`` for the public feed and ``key-<id>`` for a private
key's: private feeds carry the subscriber's token in every enclosure, so each
key gets its own file (rendered on its first fetch after a change, then sent
as bytes). The directory is under the media root, which nginx serves only
through its internal X-Accel location (artwork aside), so a private feed's
file is reachable only through the view that checked its token. Writing a new version of a name removes the
older ones; a file is complete before it gets its name (written aside, then
renamed), so a reader never sees half a feed.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase

FEEDS_DIR = "feeds"
FEED_TYPE = "application/rss+xml; charset=utf-8"
# gzip's work per byte: 6 is zlib's default, and the file is made once.
GZIP_LEVEL = 6
COPY_CHUNK = 256 * 1024


@dataclass(frozen=True)
class FeedFile:
    """A rendered feed on disk and its compressed copy."""

    path: Path
    gzip_path: Path

    @property
    def relative(self) -> str:
        """The path under the media root, as nginx's internal location finds it."""
        return self.path.relative_to(Path(settings.MEDIA_ROOT)).as_posix()


def feed_file_path(*, show_id: int, name: str, digest: str) -> FeedFile:
    path = Path(settings.MEDIA_ROOT) / FEEDS_DIR / str(show_id) / f"{name}-{digest}.xml"
    return FeedFile(path=path, gzip_path=path.with_name(path.name + ".gz"))


def _remove_older(feed: FeedFile, name: str) -> None:
    keep = {feed.path.name, feed.gzip_path.name}
    for old in feed.path.parent.glob(f"{name}-*.xml*"):
        if old.name not in keep:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()


def feed_file_get(
    *, show_id: int, name: str, digest: str, write: Callable[[BinaryIO], None]
) -> FeedFile:
    """The file of this feed version, written by ``write`` if it is not there yet."""
    feed = feed_file_path(show_id=show_id, name=name, digest=digest)
    # The compressed copy gets its name last: once it is there, both are.
    if feed.gzip_path.exists():
        return feed
    feed.path.parent.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    try:
        with tempfile.NamedTemporaryFile(
            dir=feed.path.parent, prefix=".render-", delete=False
        ) as plain:
            made.append(plain.name)
            write(plain)  # type: ignore[arg-type]
        with (
            open(plain.name, "rb") as source,
            tempfile.NamedTemporaryFile(
                dir=feed.path.parent, prefix=".render-", delete=False
            ) as packed,
        ):
            made.append(packed.name)
            # mtime=0: the same feed compresses to the same bytes.
            with gzip.GzipFile(
                fileobj=packed, mode="wb", compresslevel=GZIP_LEVEL, mtime=0
            ) as zipped:
                shutil.copyfileobj(source, zipped, COPY_CHUNK)
        for made_path in made:  # nginx reads them, as it reads the audio
            os.chmod(made_path, 0o644)
        os.replace(made[0], feed.path)
        os.replace(made[1], feed.gzip_path)
        made.clear()
    finally:
        for leftover in made:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
    _remove_older(feed, name)
    return feed


def _accepts_gzip(request: HttpRequest) -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in {"gzip", "x-gzip"}:
            q = params.strip().lower()
            return not (q.startswith("q=") and float(q[2:] or 0) == 0)
    return False


def feed_file_response(request: HttpRequest, feed: FeedFile) -> HttpResponseBase:
    """Send the feed's file (or its gzip copy to a client that takes it).

    Behind nginx (``ONDAS_AUDIO_ACCEL_PREFIX``) the answer is an
    X-Accel-Redirect to the plain file; nginx's internal location sends the
    compressed copy itself when the client accepts it. The caller adds the
    validators and Cache-Control.
    """
    prefix = settings.ONDAS_AUDIO_ACCEL_PREFIX
    if prefix:
        redirect = HttpResponse(content_type=FEED_TYPE)
        redirect.headers["X-Accel-Redirect"] = (
            prefix.rstrip("/") + "/" + quote(feed.relative)
        )
        return redirect
    packed = _accepts_gzip(request)
    path = feed.gzip_path if packed else feed.path
    response: HttpResponseBase
    if request.method == "HEAD":
        response = HttpResponse(content_type=FEED_TYPE)
        size = path.stat().st_size
    else:
        raw = open(path, "rb")  # noqa: SIM115 - the response closes it
        try:
            size = os.fstat(raw.fileno()).st_size
            response = FileResponse(raw, content_type=FEED_TYPE)
        except BaseException:
            raw.close()
            raise
    response.headers["Content-Length"] = str(size)
    response.headers["Vary"] = "Accept-Encoding"
    if packed:
        response.headers["Content-Encoding"] = "gzip"
    return response
