"""Errors of private feed keys. A caller cannot tell a malformed, unknown or
replaced address apart: all are the same 404."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class PrivateFeedNotFound(OndasError):
    """An unknown, replaced or mistyped private feed address: all look alike."""

    code = ErrorCode.PRIVATE_FEED_NOT_FOUND
    http_status = 404

    def __init__(self) -> None:
        super().__init__(
            _(
                "This private feed address does not work: it may have been "
                "replaced by a new one. Copy your current address from your "
                "account page."
            )
        )


class PrivateFeedNeedsPlan(OndasError):
    code = ErrorCode.PRIVATE_FEED_NEEDS_PLAN
    http_status = 403

    def __init__(self) -> None:
        super().__init__(
            _("Private feeds come with a plan that includes the exclusive shows.")
        )
