"""Errors of the studio. A show or book someone has no role on is not found:
the answer never tells whether it exists."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class StudioNotFound(OndasError):
    """No such show or book in this person's studio (or not with that role)."""

    code = ErrorCode.STUDIO_NOT_FOUND
    http_status = 404

    def __init__(self) -> None:
        super().__init__(_("There is nothing here in your studio."))


class StudioForbidden(OndasError):
    """Something only a creator or staff may do (create a show, claim one)."""

    code = ErrorCode.STUDIO_FORBIDDEN
    http_status = 403

    def __init__(self) -> None:
        super().__init__(
            _(
                "Only creators and staff can do this. Ask the site's staff to make you a creator."
            )
        )


class LastOwner(OndasError):
    code = ErrorCode.STUDIO_LAST_OWNER
    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            _("Every show and book needs an owner: make another member an owner first.")
        )


class AlreadyMember(OndasError):
    code = ErrorCode.STUDIO_ALREADY_MEMBER
    http_status = 409

    def __init__(self, *, email: str) -> None:
        super().__init__(_("%(email)s is already a member.") % {"email": email})


class InvitationInvalid(OndasError):
    """A forged, mistyped or revoked invitation link."""

    code = ErrorCode.STUDIO_INVITATION_INVALID
    http_status = 404

    def __init__(self) -> None:
        super().__init__(
            _(
                "This invitation link does not work: it may have been withdrawn. "
                "Ask the owner for a new one."
            )
        )


class InvitationExpired(OndasError):
    code = ErrorCode.STUDIO_INVITATION_EXPIRED
    http_status = 410

    def __init__(self) -> None:
        super().__init__(
            _("This invitation has expired. Ask the owner to send a new one.")
        )


class InvitationUsed(OndasError):
    code = ErrorCode.STUDIO_INVITATION_USED
    http_status = 409

    def __init__(self) -> None:
        super().__init__(_("This invitation has already been accepted."))


class InvitationWrongEmail(OndasError):
    code = ErrorCode.STUDIO_INVITATION_WRONG_EMAIL
    http_status = 403

    def __init__(self, *, email: str) -> None:
        super().__init__(
            _(
                "This invitation was sent to another address. You are signed in "
                "as %(email)s: sign in with the address the invitation was sent "
                "to, or ask the owner to invite this one."
            )
            % {"email": email}
        )


class FieldFollowsFeed(OndasError):
    """A studio edit of a field the next refresh of an imported show rewrites."""

    code = ErrorCode.STUDIO_FIELD_FOLLOWS_FEED
    http_status = 409

    def __init__(self, *, fields: list[str]) -> None:
        super().__init__(
            _(
                "This show follows its RSS feed, which sets %(fields)s: change "
                "them in the feed."
            )
            % {"fields": ", ".join(fields)},
            fields=fields,
        )


class ClaimNotImported(OndasError):
    code = ErrorCode.STUDIO_CLAIM_NOT_IMPORTED
    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            _("Only a show imported from a feed can be claimed through its feed.")
        )


class AudioNotYours(OndasError):
    """An audio id that is not one of this person's finished uploads."""

    code = ErrorCode.STUDIO_AUDIO_NOT_YOURS
    http_status = 404

    def __init__(self) -> None:
        super().__init__(
            _(
                "This audio is not one of your uploads. Upload the file again "
                "and use it from there."
            )
        )
