"""Signed tokens for email verification links.

A token is ``django.core.signing.dumps([user_id, email_digest, issued_at])``
under its own salt: URL-safe base64 of compact JSON, a colon, and an HMAC of
both (keyed by ``SECRET_KEY``). It holds no email address, since links end up in
proxy logs; ``email_digest`` only ties it to the address it was sent to, so a
link stops working once the address changes. Expiry is checked against
``issued_at`` by the caller, which takes a clock (``services.user_verify_email``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "ondas.accounts.verify-email"


@dataclass(frozen=True)
class VerificationClaim:
    user_id: int
    email_digest: str
    issued_at: int

    def matches_email(self, email: str) -> bool:
        return constant_time_compare(self.email_digest, email_digest(email))


def email_digest(email: str) -> str:
    """Return a short keyed hash of the address a link was sent to."""
    return salted_hmac(_SALT, email.lower(), algorithm="sha256").hexdigest()[:24]


def verification_token_make(*, user_id: int, email: str, now: datetime) -> str:
    """Return the token for a link confirming ``email`` for this user."""
    return signing.dumps(
        [user_id, email_digest(email), int(now.timestamp())], salt=_SALT
    )


def verification_token_read(token: str) -> VerificationClaim:
    """Return what the token claims; raise ``signing.BadSignature`` if forged."""
    value = signing.loads(token, salt=_SALT)
    match value:
        case [int(user_id), str(digest), int(issued_at)]:
            return VerificationClaim(
                user_id=user_id, email_digest=digest, issued_at=issued_at
            )
    raise signing.BadSignature("Unexpected verification token payload")
