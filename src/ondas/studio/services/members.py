"""Members of a show or book: grant, invite, accept, revoke, change, remove.

The rule every writer here keeps: an object with members always has an
owner. The memberships of the object are re-read under ``select_for_update``
before a change that could take the last owner away, so two owners demoting
each other at once cannot both succeed (PostgreSQL locks the rows; SQLite
serialises the writes).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import translation

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.core import clock
from ondas.studio.emails import invitation_email_task
from ondas.studio.errors import (
    AlreadyMember,
    InvitationExpired,
    InvitationInvalid,
    InvitationUsed,
    InvitationWrongEmail,
    LastOwner,
)
from ondas.studio.models import Invitation, Membership, Role, ShowClaim
from ondas.studio.selectors import Target, target_filter
from ondas.studio.tokens import invitation_token_read

logger = logging.getLogger(__name__)


def _target_fields(target: Target) -> dict[str, Target]:
    return {"show": target} if isinstance(target, Show) else {"audiobook": target}


def _owners_left_after(target: Target, *, losing: Membership) -> int:
    """Owners of ``target`` once ``losing`` is no longer one (rows locked)."""
    rows = Membership.objects.select_for_update(of=("self",)).filter(
        target_filter(target)
    )
    owners = [m.pk for m in rows if m.role == Role.OWNER]
    return len([pk for pk in owners if pk != losing.pk])


def _target_of(membership: Membership) -> Target:
    target = membership.show or membership.audiobook
    assert target is not None
    return target


@transaction.atomic
def membership_grant(*, target: Target, user: User, role: str) -> Membership:
    """Give ``user`` ``role`` on ``target`` (staff, the CLI, a new show's creator).

    A member already there gets the new role, unless that would leave the
    object without an owner (LastOwner).
    """
    existing = (
        Membership.objects.select_for_update(of=("self",))
        .filter(target_filter(target), user=user)
        .first()
    )
    if existing is None:
        membership = Membership(user=user, role=role, **_target_fields(target))
        membership.full_clean()
        membership.save()
        logger.info("User %s made %s of %s", user.pk, role, target.pk)
        return membership
    return _role_set(existing, role)


def _role_set(membership: Membership, role: str) -> Membership:
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER and not _owners_left_after(
        _target_of(membership), losing=membership
    ):
        raise LastOwner()
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role", "updated_at"])
    logger.info("Membership %s is now %s", membership.pk, role)
    return membership


@transaction.atomic
def membership_role_change(
    *, membership: Membership, role: str, acting_user: User
) -> Membership:
    """Change a member's role (an owner's action); the last owner stays one."""
    locked = Membership.objects.select_for_update(of=("self",)).get(pk=membership.pk)
    changed = _role_set(locked, role)
    logger.info("User %s set membership %s to %s", acting_user.pk, locked.pk, role)
    return changed


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user: User) -> None:
    """Take a member off the object (an owner's action, or the member leaving).

    The last owner cannot leave or be removed (LastOwner).
    """
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("show", "audiobook")
        .get(pk=membership.pk)
    )
    if locked.role == Role.OWNER and not _owners_left_after(
        _target_of(locked), losing=locked
    ):
        raise LastOwner()
    locked.delete()
    logger.info("User %s removed membership %s", acting_user.pk, membership.pk)


def _invitation_lifetime() -> timedelta:
    return timedelta(seconds=settings.ONDAS_STUDIO_INVITATION_MAX_AGE_SECONDS)


@transaction.atomic
def invitation_create(
    *,
    target: Target,
    email: str,
    role: str,
    acting_user: User,
    now: datetime | None = None,
) -> Invitation:
    """Invite ``email`` to ``role`` on ``target`` and queue the e-mail.

    Raises AlreadyMember when that address already has a role here. Earlier
    open invitations of the same address to this object are withdrawn: only
    the newest link works.
    """
    current = now or clock.now()
    address = email.strip().lower()
    if Membership.objects.filter(
        target_filter(target), user__email__iexact=address
    ).exists():
        raise AlreadyMember(email=address)
    Invitation.objects.filter(
        target_filter(target),
        email__iexact=address,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=current, updated_at=current)
    invitation = Invitation(
        email=address,
        role=role,
        invited_by=acting_user,
        expires_at=current + _invitation_lifetime(),
        **_target_fields(target),
    )
    invitation.full_clean()
    invitation.save()
    invitation_id = invitation.pk
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        lambda: invitation_email_task.enqueue(
            invitation_id=invitation_id, language=language
        )
    )
    logger.info("User %s invited someone to %s (%s)", acting_user.pk, target.pk, role)
    return invitation


def invitation_revoke(
    *, invitation: Invitation, acting_user: User, now: datetime | None = None
) -> Invitation:
    """Withdraw an invitation not yet accepted: its link stops working."""
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.revoked_at is None:
        invitation.revoked_at = now or clock.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        logger.info("User %s revoked invitation %s", acting_user.pk, invitation.pk)
    return invitation


def invitation_get_by_token(*, token: str) -> Invitation:
    """The invitation a link names; raise InvitationInvalid for a forged link,
    a revoked invitation, or one made for another address."""
    try:
        claim = invitation_token_read(token)
    except signing.BadSignature:
        raise InvitationInvalid() from None
    invitation = (
        Invitation.objects.select_related("show", "audiobook", "invited_by")
        .filter(pk=claim.invitation_id)
        .first()
    )
    if (
        invitation is None
        or invitation.revoked_at is not None
        or not claim.matches_email(invitation.email)
    ):
        raise InvitationInvalid()
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, acting_user: User, now: datetime | None = None
) -> Membership:
    """Accept the invitation of ``token`` as the signed-in ``acting_user``.

    Raises InvitationInvalid, InvitationUsed (a link works once),
    InvitationExpired, InvitationWrongEmail (signed in with another address)
    or AlreadyMember.
    """
    found = invitation_get_by_token(token=token)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("show", "audiobook")
        .get(pk=found.pk)
    )
    current = now or clock.now()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.revoked_at is not None:
        raise InvitationInvalid()
    if invitation.expires_at <= current:
        raise InvitationExpired()
    if acting_user.email.strip().lower() != invitation.email.lower():
        raise InvitationWrongEmail(email=acting_user.email)
    target = invitation.show or invitation.audiobook
    assert target is not None
    if Membership.objects.filter(target_filter(target), user=acting_user).exists():
        raise AlreadyMember(email=acting_user.email)
    membership = Membership(
        user=acting_user, role=invitation.role, **_target_fields(target)
    )
    membership.full_clean()
    membership.save()
    invitation.accepted_at = current
    invitation.accepted_by = acting_user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    logger.info(
        "User %s accepted invitation %s (%s)",
        acting_user.pk,
        invitation.pk,
        invitation.role,
    )
    return membership


def memberships_forget_user(*, user: User, now: datetime | None = None) -> int:
    """Take a person who deletes their account off every show and book.

    A last owner is refused before this runs (``membership_deletion_refusals``,
    registered as an ``accounts.privacy`` check). Should one get here all the
    same (a co-owner left meanwhile), the membership stays, pointing at the
    anonymised account, which cannot sign in, so the object keeps its owner
    rule, and a warning asks staff to name a new one (``ondas studio grant``). Their open invitations and
    claims are withdrawn. Returns how many memberships were removed.
    """
    current = now or clock.now()
    removed = 0
    with transaction.atomic():
        for membership in Membership.objects.select_for_update(of=("self",)).filter(
            user=user
        ):
            if membership.role == Role.OWNER and not _owners_left_after(
                membership.target, losing=membership
            ):
                logger.warning(
                    "User %s deleted their account as the last owner of %s %s",
                    user.pk,
                    "show" if membership.show_id else "audiobook",
                    membership.target.pk,
                )
                continue
            membership.delete()
            removed += 1
        Invitation.objects.filter(
            email__iexact=user.email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=current, updated_at=current)
        ShowClaim.objects.filter(user=user, proven_at__isnull=True).delete()
    return removed


def on_user_deleting(
    sender: type[User], *, user: User, now: datetime, **kwargs: object
) -> None:
    """``accounts.signals.user_deleting``: see ``memberships_forget_user``."""
    memberships_forget_user(user=user, now=now)
