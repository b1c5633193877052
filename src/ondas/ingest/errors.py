"""Why a feed could not be fetched, read, imported or refreshed.

Every refusal has its own code, so the audit trail and clients can tell an
unreachable server from a stale feed from a forbidden address.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ondas.core.errors import ErrorCode, OndasError


class FeedError(OndasError):
    """Any failure to fetch, read or apply a feed."""

    http_status = 502


class FeedURLInvalid(FeedError):
    code = ErrorCode.FEED_URL_INVALID
    http_status = 400

    def __init__(self, *, url: str) -> None:
        super().__init__(
            _("“%(url)s” is not an http or https address.") % {"url": url[:200]},
            url=url[:200],
        )


class FeedAddressRefused(FeedError):
    code = ErrorCode.FEED_ADDRESS_REFUSED
    http_status = 400

    def __init__(self, *, host: str, address: str) -> None:
        super().__init__(
            _(
                "“%(host)s” points to %(address)s, a private, local or reserved "
                "address; Ondas does not fetch feeds from there."
            )
            % {"host": host, "address": address},
            host=host,
            address=address,
        )


class FeedDNSFailed(FeedError):
    code = ErrorCode.FEED_DNS_FAILED

    def __init__(self, *, host: str) -> None:
        super().__init__(
            _("The name “%(host)s” could not be resolved.") % {"host": host},
            host=host,
        )


class FeedConnectionFailed(FeedError):
    code = ErrorCode.FEED_CONNECTION_FAILED

    def __init__(self, *, host: str, reason: str) -> None:
        super().__init__(
            _("Could not connect to “%(host)s”: %(reason)s")
            % {"host": host, "reason": reason},
            host=host,
        )


class FeedTimeout(FeedError):
    code = ErrorCode.FEED_TIMEOUT
    http_status = 504

    def __init__(self, *, host: str, seconds: float) -> None:
        super().__init__(
            _("“%(host)s” did not send the whole feed within %(seconds)s seconds.")
            % {"host": host, "seconds": f"{seconds:g}"},
            host=host,
            seconds=seconds,
        )


class FeedTooLarge(FeedError):
    code = ErrorCode.FEED_TOO_LARGE

    def __init__(self, *, limit: int) -> None:
        super().__init__(
            _("The feed is larger than %(limit)s bytes.") % {"limit": limit},
            limit=limit,
        )


class FeedTooManyRedirects(FeedError):
    code = ErrorCode.FEED_TOO_MANY_REDIRECTS

    def __init__(self, *, limit: int) -> None:
        super().__init__(
            _("The feed redirected more than %(limit)s times.") % {"limit": limit},
            limit=limit,
        )


class FeedHTTPError(FeedError):
    code = ErrorCode.FEED_HTTP_ERROR

    def __init__(self, *, status: int) -> None:
        super().__init__(
            _("The feed's server answered with HTTP status %(status)s.")
            % {"status": status},
            status=status,
        )


class FeedTruncated(FeedError):
    code = ErrorCode.FEED_TRUNCATED
    http_status = 422

    def __init__(self, *, received: int, expected: int | None = None) -> None:
        super().__init__(
            _("The feed ended early: it was cut off after %(received)s bytes.")
            % {"received": received},
            received=received,
            expected=expected,
        )


class FeedEmpty(FeedError):
    code = ErrorCode.FEED_EMPTY
    http_status = 422

    def __init__(self) -> None:
        super().__init__(_("The feed is empty: it has no episodes."))


class FeedNoAudio(FeedError):
    """The feed has items, but none an episode can be made of: no audio."""

    code = ErrorCode.FEED_NO_AUDIO
    http_status = 422

    def __init__(self, *, items: int) -> None:
        super().__init__(
            ngettext(
                "The feed has %(items)s item, but it has no audio: no enclosure "
                "with an http or https address, so there is no episode to import.",
                "The feed has %(items)s items, but none has audio: no enclosure "
                "with an http or https address, so there is no episode to import.",
                items,
            )
            % {"items": items},
            items=items,
        )


class FeedUnparsable(FeedError):
    code = ErrorCode.FEED_UNPARSABLE
    http_status = 422

    def __init__(self, *, reason: str) -> None:
        super().__init__(
            _("The feed is not valid RSS or Atom: %(reason)s") % {"reason": reason},
            reason=reason,
        )


class FeedXMLForbidden(FeedError):
    code = ErrorCode.FEED_XML_FORBIDDEN
    http_status = 422

    def __init__(self, *, construct: str) -> None:
        super().__init__(
            _(
                "The feed uses %(construct)s, which Ondas refuses to read "
                "(it can be used to attack the server)."
            )
            % {"construct": construct},
            construct=construct,
        )


class FeedLocked(FeedError):
    code = ErrorCode.FEED_LOCKED
    http_status = 403

    def __init__(self) -> None:
        super().__init__(
            _(
                "This feed is locked by its owner (podcast:locked). Only its owner "
                "can import it, with the owner's email address."
            )
        )


class FeedOlder(FeedError):
    code = ErrorCode.FEED_OLDER
    http_status = 409

    def __init__(self, *, fetched: str, applied: str) -> None:
        super().__init__(
            _(
                "The feed fetched (%(fetched)s) is older than the one already "
                "applied (%(applied)s); it was not applied."
            )
            % {"fetched": fetched, "applied": applied},
            fetched=fetched,
            applied=applied,
        )


class FeedMassRemovalHeld(FeedError):
    code = ErrorCode.FEED_MASS_REMOVAL_HELD
    http_status = 409

    def __init__(self, *, missing: int, present: int) -> None:
        super().__init__(
            _(
                "This refresh would mark %(missing)s of %(present)s episodes as "
                "missing. It is held until a person approves it."
            )
            % {"missing": missing, "present": present},
            missing=missing,
            present=present,
        )


class FeedAlreadyImported(FeedError):
    code = ErrorCode.FEED_ALREADY_IMPORTED
    http_status = 409

    def __init__(self, *, url: str, show_slug: str) -> None:
        super().__init__(
            _("This feed is already imported as “%(show)s”.") % {"show": show_slug},
            url=url,
            show_slug=show_slug,
        )


class FeedImportInProgress(FeedError):
    """Another run is importing this feed now (its lease has not run out)."""

    code = ErrorCode.FEED_IMPORT_IN_PROGRESS
    http_status = 409

    def __init__(self, *, url: str) -> None:
        super().__init__(
            _("This feed is being imported right now; try again in a few minutes."),
            url=url,
        )


class FeedSourceNotFound(FeedError):
    code = ErrorCode.FEED_SOURCE_NOT_FOUND
    http_status = 404

    def __init__(self, *, source_id: int) -> None:
        super().__init__(_("There is no such feed."), source_id=source_id)


class FeedSourceDetached(FeedError):
    code = ErrorCode.FEED_SOURCE_DETACHED
    http_status = 409

    def __init__(self, *, url: str) -> None:
        super().__init__(
            _(
                "The show no longer follows this feed: its owner stopped "
                "following it, so nothing from it is applied."
            ),
            url=url[:200],
        )


class FeedRefreshNotPending(FeedError):
    code = ErrorCode.FEED_REFRESH_NOT_PENDING
    http_status = 409

    def __init__(self, *, refresh_id: int) -> None:
        super().__init__(
            _("This refresh is not waiting for a decision."), refresh_id=refresh_id
        )


class FeedApprovalStale(FeedError):
    code = ErrorCode.FEED_APPROVAL_STALE
    http_status = 409

    def __init__(self, *, refresh_id: int) -> None:
        super().__init__(
            _(
                "A newer version of the feed was applied after this one was held; "
                "approving it would bring old data back. It was rejected."
            ),
            refresh_id=refresh_id,
        )


class FeedImportForbidden(OndasError):
    code = ErrorCode.FEED_IMPORT_FORBIDDEN
    http_status = 403

    def __init__(self) -> None:
        super().__init__(_("Only creators and staff can import shows from feeds."))


class FeedImportNotFound(OndasError):
    code = ErrorCode.FEED_IMPORT_NOT_FOUND
    http_status = 404

    def __init__(self, *, import_id: int) -> None:
        super().__init__(_("There is no such import."), import_id=import_id)
