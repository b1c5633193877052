"""Why an episode was not transcribed (``search.transcribe``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class TranscribeUnavailable(OndasError):
    code = ErrorCode.TRANSCRIBE_UNAVAILABLE
    http_status = 501

    def __init__(self) -> None:
        super().__init__(
            _(
                "Transcription needs the optional packages: "
                "pip install 'ondas[transcribe]'"
            )
        )


class TranscribeLanguageRefused(OndasError):
    code = ErrorCode.TRANSCRIBE_LANGUAGE_REFUSED
    http_status = 422

    def __init__(self, *, episode_id: int, language: str) -> None:
        super().__init__(
            _(
                "Episode %(id)s is in a show whose language is “%(language)s”; "
                "the transcription model knows English only (--force-language "
                "transcribes it as English anyway)."
            )
            % {"id": episode_id, "language": language},
            episode_id=episode_id,
            language=language,
        )


class TranscribeAlreadyDone(OndasError):
    code = ErrorCode.TRANSCRIBE_ALREADY_DONE
    http_status = 409

    def __init__(self, *, episode_id: int) -> None:
        super().__init__(
            _(
                "Episode %(id)s already has a transcript; --replace makes a new "
                "one in its place."
            )
            % {"id": episode_id},
            episode_id=episode_id,
        )


class TranscribeFailed(OndasError):
    code = ErrorCode.TRANSCRIBE_FAILED
    http_status = 422

    def __init__(self, *, episode_id: int, reason: str) -> None:
        super().__init__(
            _("Episode %(id)s was not transcribed: %(reason)s")
            % {"id": episode_id, "reason": reason},
            episode_id=episode_id,
            reason=reason,
        )
