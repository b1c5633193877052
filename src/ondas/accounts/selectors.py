"""Reads about accounts. Nothing here writes."""

from __future__ import annotations

from django.core import signing

from ondas.accounts.errors import VerificationLinkInvalid
from ondas.accounts.models import User
from ondas.accounts.sections import RenderedSection, account_sections_registered
from ondas.accounts.tokens import VerificationClaim, verification_token_read


def user_get_by_verification_token(*, token: str) -> tuple[User, VerificationClaim]:
    """Return the account an authentic link was made for, expired or not.

    Raise ``VerificationLinkInvalid`` for a forged or damaged link, for a
    deleted account, and for an address that changed since the link was sent.
    """
    try:
        claim = verification_token_read(token)
    except signing.BadSignature:
        raise VerificationLinkInvalid() from None
    user = User.objects.filter(pk=claim.user_id, deleted_at__isnull=True).first()
    if user is None or not claim.matches_email(user.email):
        raise VerificationLinkInvalid()
    return user, claim


def user_email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    """Return whether another account uses this address, in any letter case."""
    others = User.objects.filter(email__iexact=email.strip())
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def account_sections_for_user(*, user: User) -> list[RenderedSection]:
    """Return the sections other contexts add to this person's account page."""
    return [
        RenderedSection(
            key=section.key,
            template_name=section.template_name,
            context=section.get_context(user),
        )
        for section in account_sections_registered()
    ]
