"""What can go wrong with an upload, and why a file or an image is refused."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class UploadNotFound(OndasError):
    """No such upload, or not the asker's: both answer the same."""

    code = ErrorCode.UPLOAD_NOT_FOUND
    http_status = 404

    def __init__(self) -> None:
        super().__init__(_("This upload does not exist."))


class UploadExpired(OndasError):
    code = ErrorCode.UPLOAD_EXPIRED
    http_status = 410

    def __init__(self) -> None:
        super().__init__(_("This upload has expired; start it again."))


class UploadOffsetMismatch(OndasError):
    """The client's idea of how much arrived is not the server's (tus: 409)."""

    code = ErrorCode.UPLOAD_OFFSET_MISMATCH
    http_status = 409

    def __init__(self, *, expected: int, received: int) -> None:
        super().__init__(
            _("The upload is at byte %(expected)s, not %(received)s.")
            % {"expected": expected, "received": received},
            expected=expected,
            received=received,
        )


class UploadTooLarge(OndasError):
    code = ErrorCode.UPLOAD_TOO_LARGE
    http_status = 413

    def __init__(self, *, length: int, limit: int) -> None:
        super().__init__(
            _("The file is %(length)s bytes; the most an upload may be is %(limit)s.")
            % {"length": length, "limit": limit},
            length=length,
            limit=limit,
        )


class UploadBusy(OndasError):
    """Another request is writing to this upload right now (tus clients retry)."""

    code = ErrorCode.UPLOAD_BUSY
    http_status = 423

    def __init__(self) -> None:
        super().__init__(_("This upload is receiving bytes in another request."))


class UploadChecksumMismatch(OndasError):
    """The chunk's bytes do not match the checksum sent with them (tus: 460)."""

    code = ErrorCode.UPLOAD_CHECKSUM_MISMATCH
    http_status = 460

    def __init__(self) -> None:
        super().__init__(
            _("The bytes received do not match their checksum; send them again.")
        )


class UploadTooManyOpen(OndasError):
    code = ErrorCode.UPLOAD_TOO_MANY_OPEN
    http_status = 429

    def __init__(self, *, limit: int) -> None:
        super().__init__(
            _(
                "You already have %(limit)s unfinished uploads; finish or cancel "
                "one first."
            )
            % {"limit": limit},
            limit=limit,
        )


class UploadVersionUnsupported(OndasError):
    code = ErrorCode.UPLOAD_VERSION_UNSUPPORTED
    http_status = 412

    def __init__(self, *, version: str) -> None:
        super().__init__(
            _("This server speaks tus 1.0.0, not %(version)s.") % {"version": version},
            version=version,
        )


class AudioRefused(OndasError):
    """An uploaded file that is not audio Ondas accepts; the message says why."""

    http_status = 422


class AudioEmpty(AudioRefused):
    code = ErrorCode.AUDIO_EMPTY

    def __init__(self) -> None:
        super().__init__(_("The file is empty (0 bytes)."))


class AudioTooLarge(AudioRefused):
    code = ErrorCode.AUDIO_TOO_LARGE
    http_status = 413

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(
            _("The file is %(length)s bytes; the most an upload may be is %(limit)s.")
            % {"length": size, "limit": limit},
            size=size,
            limit=limit,
        )


class AudioNotAudio(AudioRefused):
    code = ErrorCode.AUDIO_NOT_AUDIO

    def __init__(self, *, found: str = "") -> None:
        if found:
            message = _(
                "The file is not audio: its content is %(found)s, whatever its name "
                "says. Upload MP3, M4A/AAC, Ogg (Opus or Vorbis) or FLAC."
            ) % {"found": found}
        else:
            message = _(
                "The file is not audio in a format Ondas reads, whatever its name "
                "says. Upload MP3, M4A/AAC, Ogg (Opus or Vorbis) or FLAC."
            )
        super().__init__(message, found=found)


class AudioFormatRefused(AudioRefused):
    code = ErrorCode.AUDIO_FORMAT_REFUSED

    def __init__(self, *, kind: str) -> None:
        super().__init__(
            _(
                "The file is %(kind)s audio, which podcast apps do not all play. "
                "Upload MP3, M4A/AAC, Ogg (Opus or Vorbis) or FLAC."
            )
            % {"kind": kind},
            kind=kind,
        )


class AudioTruncated(AudioRefused):
    code = ErrorCode.AUDIO_TRUNCATED

    def __init__(self, *, kind: str, missing: int) -> None:
        super().__init__(
            _(
                "The %(kind)s file is cut short: it ends %(missing)s bytes before "
                "its last part does. Upload the whole file again."
            )
            % {"kind": kind, "missing": missing},
            kind=kind,
            missing=missing,
        )


class AudioDamaged(AudioRefused):
    code = ErrorCode.AUDIO_DAMAGED

    def __init__(self, *, kind: str, detail: str) -> None:
        super().__init__(
            _(
                "The file starts like %(kind)s audio but cannot be read (%(detail)s): "
                "it is damaged or cut short. Export or upload it again."
            )
            % {"kind": kind, "detail": detail},
            kind=kind,
        )


class AudioDurationUnknown(AudioRefused):
    code = ErrorCode.AUDIO_DURATION_UNKNOWN

    def __init__(self, *, kind: str) -> None:
        super().__init__(
            _(
                "The %(kind)s file does not say how long it is, so listeners could "
                "not seek in it. Export it again with its length."
            )
            % {"kind": kind},
            kind=kind,
        )


class ArtworkRefused(OndasError):
    """An image that breaks Apple's artwork rules; ``problems`` names each one."""

    code = ErrorCode.ARTWORK_REFUSED
    http_status = 422

    def __init__(self, *, problems: list[str], can_fit: bool) -> None:
        super().__init__(" ".join(problems), problems=problems, can_fit=can_fit)
        self.problems = problems
        self.can_fit = can_fit


class UploadAudioRefused(OndasError):
    """An audio id that is not from one of the asker's uploads (nor the
    episode's own): it answers like a missing upload."""

    code = ErrorCode.UPLOAD_NOT_FOUND
    http_status = 404

    def __init__(self) -> None:
        super().__init__(
            _("This audio is not one of your uploads: upload the file again.")
        )
