"""Reads about accounts. Nothing here writes."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.crypto import constant_time_compare

from ondas.accounts.errors import VerificationLinkInvalid
from ondas.accounts.models import AccessToken, User
from ondas.accounts.privacy import export_sections_registered
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


def _account_for_export(user: User) -> dict[str, object]:
    # Named fields only: the password hash, permissions and flags stay out.
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "email_verified_at": (
            user.email_verified_at.isoformat() if user.email_verified_at else None
        ),
        # The apps given access (personal access tokens) by name and dates;
        # never their digest.
        "app_access": [
            {
                "name": token.name,
                "scope": token.scope,
                "created_at": token.created_at,
                "last_used_at": token.last_used_at,
                "revoked_at": token.revoked_at,
            }
            for token in AccessToken.objects.filter(user=user).order_by("pk")
        ],
    }


def user_export_json(*, user: User) -> Iterator[str]:
    """Yield, piece by piece, one JSON object of what Ondas keeps about this person.

    Each section (the account, then what other contexts registered in
    ``privacy``) is read and encoded on its own, so a long history is never
    held twice in memory and the download can start at once.
    """
    encoder = DjangoJSONEncoder(ensure_ascii=False, indent=1)
    yield '{\n"format": "ondas-export-1",\n"account": '
    yield encoder.encode(_account_for_export(user))
    for section in export_sections_registered():
        yield ",\n" + json.dumps(section.key) + ": "
        yield encoder.encode(section.build(user))
    yield "\n}\n"


def user_get_for_session_mark(*, user_id: int, auth_hash: str) -> User | None:
    """The active account an app's session names, while its password is the
    one the session was opened with (``get_session_auth_hash``); else None."""
    user = User.objects.filter(
        pk=user_id, is_active=True, deleted_at__isnull=True
    ).first()
    if user is None or not constant_time_compare(
        auth_hash, user.get_session_auth_hash()
    ):
        return None
    return user
