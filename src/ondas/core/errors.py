"""The error type every Ondas service raises, and the codes clients can rely on.

Codes stay English and stable; messages are translated. The web middleware and
the API handler render an ``OndasError`` as ``{code, message, data}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    SHOW_NOT_FOUND = "show_not_found"
    EPISODE_NOT_FOUND = "episode_not_found"
    AUDIO_NOT_FOUND = "audio_not_found"
    AUDIO_MISSING_ON_DISK = "audio_missing_on_disk"
    INVALID_LANGUAGE = "invalid_language"
    INVALID_CATEGORY = "invalid_category"
    INVALID_CHAPTER = "invalid_chapter"


class OndasError(Exception):
    """A failure a user or client caused, with a stable code and an HTTP status."""

    code: ClassVar[ErrorCode]
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, **data: object) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def as_dict(self) -> dict[str, object]:
        """Return the error as the body clients receive."""
        return {"code": str(self.code), "message": self.message, "data": self.data}


class NotFoundError(OndasError):
    code = ErrorCode.NOT_FOUND
    http_status = 404
