"""The wire format of tus 1.0: its headers, read and written (no I/O here).

tus 1.0.0 (https://tus.io/protocols/resumable-upload) as Ondas speaks it:

- core: ``HEAD`` answers ``Upload-Offset`` (and ``Upload-Length``), ``PATCH``
  with ``Content-Type: application/offset+octet-stream`` and the current
  ``Upload-Offset`` appends bytes; every answer but ``OPTIONS`` carries
  ``Tus-Resumable: 1.0.0``, and a request for another version gets 412;
- creation: ``POST`` with ``Upload-Length`` and optional ``Upload-Metadata``
  (``key base64,key2 base64``) answers 201 with ``Location``; past
  ``Tus-Max-Size`` it answers 413 (deferred lengths are not offered);
- termination: ``DELETE`` removes an unfinished upload;
- expiration: ``Upload-Expires`` (an HTTP date) on creation and on each PATCH;
- checksum: ``Upload-Checksum: <algorithm> <base64 digest>`` on a PATCH is
  checked over the chunk; a mismatch answers 460 and the chunk is dropped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.utils.http import http_date
from django.utils.translation import gettext as _

from ondas.core.errors import InvalidRequest

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration,checksum"
CHECKSUM_ALGORITHMS = ("sha1", "sha256", "md5")
OFFSET_TYPE = "application/offset+octet-stream"
MAX_METADATA = 4096


def metadata_parse(header: str) -> dict[str, str]:
    """The pairs of an ``Upload-Metadata`` header, values decoded as UTF-8 text.

    Raises InvalidRequest for a header that breaks the format: a key that is
    empty, repeated or has spaces, or a value that is not base64 of UTF-8.
    """
    if len(header) > MAX_METADATA:
        raise InvalidRequest(reason=_("Upload-Metadata is too long."))
    result: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _sep, value = pair.partition(" ")
        if not key.isascii() or not key.isprintable() or key in result:
            raise InvalidRequest(reason=_("Upload-Metadata has a bad or repeated key."))
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidRequest(
                reason=_("The value of %(key)s in Upload-Metadata is not base64.")
                % {"key": key}
            ) from None
        result[key] = decoded
    return result


def length_parse(header: str | None, *, name: str) -> int:
    """A header that must hold a whole number of bytes, 0 or more."""
    if header is None or not header.strip().isdigit():
        raise InvalidRequest(
            reason=_("%(name)s must be a whole number of bytes.") % {"name": name}
        )
    return int(header)


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes

    def hasher(self) -> hashlib._Hash:
        return hashlib.new(self.algorithm)


def checksum_parse(header: str | None) -> Checksum | None:
    """The ``Upload-Checksum`` of a PATCH, or None when there is none."""
    if not header:
        return None
    algorithm, _sep, value = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise InvalidRequest(
            reason=_("Checksums may use %(names)s.")
            % {"names": ", ".join(CHECKSUM_ALGORITHMS)}
        )
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        raise InvalidRequest(reason=_("Upload-Checksum is not base64.")) from None
    return Checksum(algorithm=algorithm, digest=digest)


def expires_header(when: datetime) -> str:
    """``Upload-Expires``: an HTTP date (RFC 9110)."""
    return http_date(when.timestamp())
