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


class SubscriptionRequired(OndasError):
    code = ErrorCode.SUBSCRIPTION_REQUIRED
    http_status = 403

    def __init__(self, *, audio_id: int) -> None:
        super().__init__(
            _(
                "This episode is for subscribers. Choose a plan to listen to it, "
                "or sign in if you already have one."
            ),
            audio_id=audio_id,
        )


class ReportRefused(OndasError):
    """A listening report that cannot be true, or is not this person's to send."""

    code = ErrorCode.LISTENING_REPORT_REFUSED
    http_status = 400

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason)


class SessionSuperseded(OndasError):
    code = ErrorCode.LISTENING_SESSION_SUPERSEDED
    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            _("This book is now playing on another device. Press play to listen here.")
        )


class AllowanceRequired(OndasError):
    code = ErrorCode.AUDIOBOOK_ALLOWANCE_REQUIRED
    http_status = 403

    def __init__(self) -> None:
        super().__init__(
            _(
                "Audiobooks beyond the free sample need a plan with audiobook hours, "
                "and hours left this period."
            )
        )


class PrivateFeedEnded(OndasError):
    """Audio asked for through a private feed whose person may no longer listen."""

    code = ErrorCode.SUBSCRIPTION_REQUIRED
    http_status = 403

    def __init__(self, *, plans_url: str) -> None:
        super().__init__(
            _(
                "Your subscription has ended, so this private feed no longer plays. "
                "Renew it at %(plans)s to listen again."
            )
            % {"plans": plans_url},
        )
