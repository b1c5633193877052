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


class EpisodeStateInvalid(OndasError):
    code = ErrorCode.EPISODE_STATE_INVALID
    http_status = 409

    def __init__(self, *, episode_id: int, status: str, action: str) -> None:
        super().__init__(
            _("This change is not possible while the episode is “%(status)s”.")
            % {"status": status},
            episode_id=episode_id,
            action=action,
        )


class EpisodeNeedsAudio(OndasError):
    code = ErrorCode.EPISODE_NEEDS_AUDIO
    http_status = 422

    def __init__(self, *, episode_id: int | None) -> None:
        super().__init__(
            _("An episode needs its audio before it can be published."),
            episode_id=episode_id,
        )


class EpisodeGuidRetired(OndasError):
    code = ErrorCode.EPISODE_GUID_RETIRED
    http_status = 409

    def __init__(self, *, show_id: int, guid: str) -> None:
        super().__init__(
            _("This GUID belonged to a deleted episode and is never used again."),
            show_id=show_id,
            guid=guid,
        )


class EpisodeTimePast(OndasError):
    code = ErrorCode.EPISODE_TIME_PAST
    http_status = 422

    def __init__(self) -> None:
        super().__init__(_("Choose a publication time that is still to come."))


class FieldsManagedByFeed(OndasError):
    """The show follows its publisher's feed: the next refresh would undo this."""

    code = ErrorCode.FIELDS_MANAGED_BY_FEED
    http_status = 409

    def __init__(self, *, fields: list[str]) -> None:
        super().__init__(
            _(
                "This show is imported from its feed, and the next refresh would "
                "overwrite these fields: %(fields)s. Edit them in the feed, or stop "
                "following it."
            )
            % {"fields": ", ".join(fields)},
            fields=fields,
        )


class ChaptersRejected(OndasError):
    """The chapter editor's rows, each with what is wrong with it."""

    code = ErrorCode.CHAPTERS_REJECTED
    http_status = 422

    def __init__(self, *, errors: dict[int, list[str]], general: list[str]) -> None:
        super().__init__(
            _("Some chapters need fixing."),
            errors={row: list(messages) for row, messages in errors.items()},
            general=list(general),
        )
        self.errors = errors
        self.general = general


class TranscriptInvalid(OndasError):
    code = ErrorCode.TRANSCRIPT_INVALID
    http_status = 422

    def __init__(self, *, line: int, reason: str) -> None:
        super().__init__(
            _("The transcript could not be read at line %(line)s: %(reason)s")
            % {"line": line, "reason": reason},
            line=line,
            reason=reason,
        )
        self.line = line
        self.reason = reason


class BookLastPart(OndasError):
    """A book always has a part: the last one cannot be removed."""

    code = ErrorCode.BOOK_LAST_PART
    http_status = 409

    def __init__(self, *, audiobook_id: int) -> None:
        super().__init__(
            _("This is the book's only part: add another before removing it."),
            audiobook_id=audiobook_id,
        )
