"""One delivery log line: the fields nginx's ``ondas_audio`` log_format and
`ondas serve` write alike (see ``servelog`` and deploy/nginx/ondas.conf).

``{"time": ISO 8601 with offset, "addr": client address, "method": ...,
"path": ..., "status": 206, "range": Range header or "", "bytes": body bytes
sent, "ua": User-Agent, "audio": Ondas's audio id or "", "listener": Ondas's
id of the person or ""}``
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii as _quote

_AUDIO_PATH = re.compile(r"/audio/([0-9]{1,19})(?:[./]|$)")


class MalformedLine(ValueError):
    """A line that is not a delivery record."""


@dataclass(frozen=True, slots=True)
class Delivery:
    time: datetime
    addr: str
    method: str
    path: str
    status: int
    range: str
    bytes: int
    ua: str
    audio_id: int | None
    listener: str


def _text(record: dict[str, object], key: str) -> str:
    value = record.get(key)
    if type(value) is not str:
        if value is None:
            return ""
        value = str(value)
    return "" if value == "-" else value


def delivery_parse(raw: bytes) -> Delivery:
    """Read one line; raise MalformedLine when it is not a delivery record."""
    try:
        # UTF-8 as both writers write it (json.loads would first guess it).
        record = json.loads(raw.decode())
        if not isinstance(record, dict):
            raise MalformedLine("not an object")
        time = datetime.fromisoformat(str(record["time"]))
        if time.tzinfo is None:
            raise MalformedLine("time without offset")
        status = int(record["status"])
        sent = int(record.get("bytes") or 0)
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise MalformedLine(str(exc)) from None
    path = _text(record, "path")
    audio = _text(record, "audio")
    audio_id: int | None = None
    if audio.isdigit():
        audio_id = int(audio)
    elif match := _AUDIO_PATH.match(path):
        audio_id = int(match[1])
    return Delivery(
        time=time,
        addr=_text(record, "addr"),
        method=_text(record, "method"),
        path=path,
        status=status,
        range=_text(record, "range"),
        bytes=max(0, sent),
        ua=_text(record, "ua"),
        audio_id=audio_id,
        listener=_text(record, "listener"),
    )


def delivery_line(
    *,
    time: datetime,
    addr: str,
    method: str,
    path: str,
    status: int,
    range_header: str,
    sent: int,
    user_agent: str,
    audio_id: int | None,
    listener_id: int | None,
) -> bytes:
    """The line `ondas serve` writes for one response (as ``json.dumps``
    would write it, by hand: it is made once per audio response)."""
    q = _quote
    audio = "" if audio_id is None else str(int(audio_id))
    listener = "" if listener_id is None else str(int(listener_id))
    text = (
        f'{{"time":"{time.isoformat(timespec="milliseconds")}","addr":{q(addr)},'
        f'"method":{q(method)},"path":{q(path)},"status":{int(status)},'
        f'"range":{q(range_header)},"bytes":{int(sent)},"ua":{q(user_agent)},'
        f'"audio":"{audio}","listener":"{listener}"}}\n'
    )
    return text.encode()
