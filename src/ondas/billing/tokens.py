"""Signed consent to be charged today, carried by the offline confirmation page.

When a card or an address has had its free trial, the offline provider's
card form answers with a page that says so and asks to confirm the charge.
That page holds this token instead of the card: ``signing.dumps`` of the
person, the plan and the payment method Ondas keeps (never the card number),
under its own salt, valid for ``CONSENT_MAX_AGE`` seconds.
"""

from __future__ import annotations

from django.core import signing

from ondas.billing.errors import ChargeConsentInvalid
from ondas.billing.providers.base import PaymentMethod

_SALT = "ondas.billing.charge-consent"
CONSENT_MAX_AGE = 30 * 60


def charge_consent_make(
    *, user_id: int, plan_slug: str, payment_method: PaymentMethod
) -> str:
    """Return the token for paying ``plan_slug`` today with ``payment_method``."""
    method = payment_method
    return signing.dumps(
        [user_id, plan_slug, method.ref, method.label, method.fingerprint],
        salt=_SALT,
        compress=True,
    )


def charge_consent_read(*, token: str, user_id: int, plan_slug: str) -> PaymentMethod:
    """Return the payment method the token is for; raise ChargeConsentInvalid if
    it is forged, expired, or made for another person or plan."""
    try:
        value = signing.loads(token, salt=_SALT, max_age=CONSENT_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        raise ChargeConsentInvalid() from None
    match value:
        case [int(uid), str(slug), str(ref), str(label), str(fingerprint)] if (
            uid == user_id and slug == plan_slug
        ):
            return PaymentMethod(ref=ref, label=label, fingerprint=fingerprint)
    raise ChargeConsentInvalid()
