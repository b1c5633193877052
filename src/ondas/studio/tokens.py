"""Signed tokens: the link of a studio invitation, and a show claim's code.

An invitation token is ``signing.dumps([invitation_id, email_digest])`` under
its own salt (URL-safe base64 of compact JSON, a colon, an HMAC keyed by
``SECRET_KEY``). It names the invitation row, which holds the expiry and
whether it was used or revoked, so a token works once and stops when the
owner withdraws it; ``email_digest`` ties it to the address it went to
without putting the address in a URL. Expiry is checked by the service
against the row, with a clock.

A claim code is random, not signed: it is published in a feed, and only its
presence there, for the row that holds it, proves anything.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "ondas.studio.invitation"
CLAIM_PREFIX = "ondas-claim-"


@dataclass(frozen=True)
class InvitationClaim:
    invitation_id: int
    email_digest: str

    def matches_email(self, email: str) -> bool:
        return constant_time_compare(self.email_digest, email_digest(email))


def email_digest(email: str) -> str:
    """A short keyed hash of the address an invitation was sent to."""
    return salted_hmac(_SALT, email.strip().lower(), algorithm="sha256").hexdigest()[
        :24
    ]


def invitation_token_make(*, invitation_id: int, email: str) -> str:
    """The token of the link inviting ``email`` through this invitation."""
    return signing.dumps([invitation_id, email_digest(email)], salt=_SALT)


def invitation_token_read(token: str) -> InvitationClaim:
    """What the token claims; raise ``signing.BadSignature`` if forged."""
    value = signing.loads(token, salt=_SALT)
    match value:
        case [int(invitation_id), str(digest)]:
            return InvitationClaim(invitation_id=invitation_id, email_digest=digest)
    raise signing.BadSignature("Unexpected invitation token payload")


def claim_token_make() -> str:
    """A fresh code to put in a feed, e.g. ``ondas-claim-3f9c…``."""
    return CLAIM_PREFIX + secrets.token_hex(16)
