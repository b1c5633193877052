from __future__ import annotations

from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class ShowNotFound(OndasError):
    code = ErrorCode.SHOW_NOT_FOUND
    http_status = 404

    def __init__(self, *, slug: str) -> None:
        super().__init__(_("There is no show at this address."), slug=slug)


class EpisodeNotFound(OndasError):
    code = ErrorCode.EPISODE_NOT_FOUND
    http_status = 404

    def __init__(self, *, show_slug: str, episode_slug: str) -> None:
        super().__init__(
            _("This show has no such episode."),
            show_slug=show_slug,
            episode_slug=episode_slug,
        )


class UnknownCategory(OndasError):
    code = ErrorCode.INVALID_CATEGORY

    def __init__(self, *, name: str) -> None:
        super().__init__(
            _("“%(name)s” is not an Apple Podcasts category.") % {"name": name},
            name=name,
        )


class InvalidChapter(OndasError):
    code = ErrorCode.INVALID_CHAPTER

    def __init__(self, *, start_seconds: float, reason: str) -> None:
        super().__init__(reason, start_seconds=start_seconds)


class ChaptersInvalid(OndasError):
    code = ErrorCode.CHAPTERS_INVALID
    http_status = 422

    def __init__(self, *, reason: str) -> None:
        super().__init__(
            _("The chapters could not be read: %(reason)s") % {"reason": reason},
            reason=reason,
        )
