"""Why an OPML file could not be read."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class OPMLError(OndasError):
    """An OPML file a listener uploaded that Ondas will not read."""

    http_status = 400


class OPMLInvalid(OPMLError):
    code = ErrorCode.OPML_INVALID

    def __init__(self, *, reason: str) -> None:
        super().__init__(
            _("This is not an OPML file Ondas can read: %(reason)s")
            % {"reason": reason},
            reason=reason,
        )


class OPMLXMLForbidden(OPMLError):
    code = ErrorCode.OPML_XML_FORBIDDEN

    def __init__(self, *, construct: str) -> None:
        super().__init__(
            _(
                "The OPML file uses %(construct)s, which Ondas refuses to read "
                "(it can be used to attack the server). Nothing was imported."
            )
            % {"construct": construct},
            construct=construct,
        )


class OPMLTooLarge(OPMLError):
    code = ErrorCode.OPML_TOO_LARGE
    http_status = 413

    def __init__(self, *, limit: int) -> None:
        super().__init__(
            _("The OPML file is larger than %(limit)s. Nothing was imported.")
            % {"limit": filesizeformat(limit)},
            limit=limit,
        )
