"""Log records with the request's id, as plain text or one JSON object per line.

``ONDAS_LOG_FORMAT=json`` (settings) switches the console handler to
:class:`JsonFormatter`. Every record logged while a request is being handled
carries that request's id (``X-Request-ID``, honoured from the client or the
proxy when it looks sane, generated otherwise), so one listener's trouble can
be followed from nginx's log through Ondas's.
"""

from __future__ import annotations

import json
import logging
import random
import re
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from outside: short, printable, no spaces or quotes, so that
# it can go into a header and a log line unescaped.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")

request_id_var: ContextVar[str] = ContextVar("ondas_request_id", default="-")

# Attributes every LogRecord has; anything else was passed through ``extra``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}


def request_id_from(header: str | None) -> str:
    """Return the incoming id when it is acceptable, else a new random one.

    A new one is 32 hex digits from Python's own generator (reseeded in every
    forked worker): an id to follow a request by, not a secret, so it costs
    no system call (``uuid4`` reads the kernel's random source each time).
    """
    if header and _ACCEPTABLE_ID.fullmatch(header):
        return header
    return f"{random.getrandbits(128):032x}"


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record (``-`` outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "pid": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
