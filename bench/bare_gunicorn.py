"""The ceiling for `ondas serve`: Gunicorn gthread sending a range with no Django.

Used by ``bench/audio_ranges.py`` as its baseline: the same file, the same Range
requests, the same worker and thread counts and Gunicorn's sendfile path
(``wsgi.file_wrapper``), with nothing in front of it: no URL routing, no
middleware, no database. Whatever Ondas adds per request comes on top of
this, so ``ondas serve`` cannot pass this line on this machine.

    gunicorn --chdir bench -k gthread bare_gunicorn:app  (BARE_AUDIO=path)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

PATH = os.environ.get("BARE_AUDIO", "")
RANGE = re.compile(r"bytes=(\d+)-(\d+)$")


class Window:
    """``length`` bytes of an open file from its current offset (sendfile-able)."""

    def __init__(self, raw: Any, length: int) -> None:
        self.raw = raw
        self.left = length

    def fileno(self) -> int:
        return int(self.raw.fileno())

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data: bytes = self.raw.read(size)
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.raw.close()


def app(
    environ: dict[str, Any], start_response: Callable[..., object]
) -> Iterable[bytes]:
    raw = open(PATH, "rb")  # noqa: SIM115 - the server closes the window
    size = os.fstat(raw.fileno()).st_size
    match = RANGE.match(environ.get("HTTP_RANGE", ""))
    start, end = (int(match[1]), int(match[2])) if match else (0, size - 1)
    raw.seek(start)
    length = end - start + 1
    start_response(
        "206 Partial Content",
        [
            ("Content-Type", "audio/mpeg"),
            ("Content-Length", str(length)),
            ("Content-Range", f"bytes {start}-{end}/{size}"),
            ("Accept-Ranges", "bytes"),
        ],
    )
    wrapper = environ["wsgi.file_wrapper"]
    return wrapper(Window(raw, length))  # type: ignore[no-any-return]
