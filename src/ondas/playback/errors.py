from __future__ import annotations

from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class AudioNotFound(OndasError):
    code = ErrorCode.AUDIO_NOT_FOUND
    http_status = 404

    def __init__(self, *, audio_id: int) -> None:
        super().__init__(_("This audio file does not exist."), audio_id=audio_id)


class AudioMissingOnDisk(OndasError):
    code = ErrorCode.AUDIO_MISSING_ON_DISK
    http_status = 404

    def __init__(self, *, audio_id: int) -> None:
        super().__init__(
            _("This audio file is not available right now."), audio_id=audio_id
        )
