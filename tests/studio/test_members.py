"""Roles on a show: the owner rule, invitations and their links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils.timezone import now as timezone_now

from ondas.accounts.errors import AccountDeletionRefused
from ondas.accounts.services import user_delete
from ondas.core.errors import ErrorCode
from ondas.studio.errors import (
    AlreadyMember,
    InvitationExpired,
    InvitationInvalid,
    InvitationUsed,
    InvitationWrongEmail,
    LastOwner,
)
from ondas.studio.models import Invitation, Membership, Role
from ondas.studio.services.members import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_grant,
    membership_remove,
    membership_role_change,
)
from ondas.studio.tokens import invitation_token_make
from tests.accounts.factories import PASSWORD, user_make
from tests.studio.conftest import Cast

pytestmark = pytest.mark.django_db


def _membership(cast: Cast, user: object) -> Membership:
    return Membership.objects.get(show=cast.show, user=user)


def test_show_create_in_studio_makes_the_creator_its_owner(cast: Cast) -> None:
    membership = _membership(cast, cast.owner)
    assert membership.role == Role.OWNER
    assert Membership.objects.filter(show=cast.show, role=Role.OWNER).count() == 1


def test_last_owner_cannot_be_demoted(cast: Cast) -> None:
    with pytest.raises(LastOwner) as exc_info:
        membership_role_change(
            membership=_membership(cast, cast.owner),
            role=Role.EDITOR,
            acting_user=cast.owner,
        )
    assert exc_info.value.code == ErrorCode.STUDIO_LAST_OWNER
    assert _membership(cast, cast.owner).role == Role.OWNER


def test_last_owner_cannot_leave(cast: Cast) -> None:
    with pytest.raises(LastOwner):
        membership_remove(
            membership=_membership(cast, cast.owner), acting_user=cast.owner
        )
    assert _membership(cast, cast.owner).role == Role.OWNER


def test_last_owner_cannot_be_demoted_by_a_grant(cast: Cast) -> None:
    with pytest.raises(LastOwner):
        membership_grant(target=cast.show, user=cast.owner, role=Role.ANALYST)
    assert _membership(cast, cast.owner).role == Role.OWNER


def test_an_owner_may_step_down_once_another_owner_exists(cast: Cast) -> None:
    membership_role_change(
        membership=_membership(cast, cast.editor),
        role=Role.OWNER,
        acting_user=cast.owner,
    )
    membership_remove(membership=_membership(cast, cast.owner), acting_user=cast.owner)
    owners = Membership.objects.filter(show=cast.show, role=Role.OWNER)
    assert [m.user_id for m in owners] == [cast.editor.pk]


def _invite(cast: Cast, email: str = "new@example.com") -> tuple[Invitation, str]:
    invitation = invitation_create(
        target=cast.show, email=email, role=Role.EDITOR, acting_user=cast.owner
    )
    return invitation, invitation_token_make(invitation_id=invitation.pk, email=email)


def test_invitation_mail_carries_a_link_that_makes_the_membership(
    cast: Cast, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        invitation, _token = _invite(cast, "New@Example.com")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    assert "Ondas en Vivo" in message.subject
    link = re.search(r"http\S+/studio/invitations/(\S+)/", message.body)
    assert link is not None
    newcomer = user_make(email="new@example.com")
    membership = invitation_accept(token=link.group(1), acting_user=newcomer)
    assert (membership.show_id, membership.role) == (cast.show.pk, Role.EDITOR)
    invitation.refresh_from_db()
    assert invitation.accepted_by == newcomer


def test_invitation_token_works_once(cast: Cast) -> None:
    _invitation, token = _invite(cast)
    newcomer = user_make(email="new@example.com")
    invitation_accept(token=token, acting_user=newcomer)
    with pytest.raises(InvitationUsed):
        invitation_accept(token=token, acting_user=newcomer)
    assert Membership.objects.filter(show=cast.show, user=newcomer).count() == 1


def test_expired_invitation_is_refused(cast: Cast) -> None:
    _invitation, token = _invite(cast)
    newcomer = user_make(email="new@example.com")
    with pytest.raises(InvitationExpired) as exc_info:
        invitation_accept(
            token=token, acting_user=newcomer, now=timezone_now() + timedelta(days=8)
        )
    assert exc_info.value.message == (
        "This invitation has expired. Ask the owner to send a new one."
    )
    assert not Membership.objects.filter(user=newcomer).exists()


def test_invitation_for_another_address_is_refused_and_says_why(cast: Cast) -> None:
    _invitation, token = _invite(cast)
    stranger = user_make(email="stranger@example.com")
    with pytest.raises(InvitationWrongEmail) as exc_info:
        invitation_accept(token=token, acting_user=stranger)
    assert "signed in as stranger@example.com" in exc_info.value.message
    assert not Membership.objects.filter(user=stranger).exists()


def test_forged_and_revoked_invitations_are_refused(cast: Cast) -> None:
    invitation, token = _invite(cast)
    newcomer = user_make(email="new@example.com")
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token[:-2] + "xx", acting_user=newcomer)
    invitation_revoke(invitation=invitation, acting_user=cast.owner)
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token, acting_user=newcomer)
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_new_invitation_withdraws_the_older_one(cast: Cast) -> None:
    _first, old_token = _invite(cast)
    _second, new_token = _invite(cast)
    newcomer = user_make(email="new@example.com")
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=old_token, acting_user=newcomer)
    invitation_accept(token=new_token, acting_user=newcomer)


def test_inviting_a_member_again_is_refused(cast: Cast) -> None:
    with pytest.raises(AlreadyMember):
        _invite(cast, "EDITOR@example.com")
    assert not Invitation.objects.exists()


def test_a_deleted_account_leaves_the_studio_but_no_show_loses_its_owner(
    cast: Cast,
) -> None:
    membership_grant(target=cast.other_show, user=cast.owner, role=Role.EDITOR)
    # The last owner of "Ondas en Vivo" is refused until someone else owns it.
    with pytest.raises(AccountDeletionRefused) as exc_info:
        user_delete(user=cast.owner, password=PASSWORD)
    assert exc_info.value.code == ErrorCode.ACCOUNT_DELETION_REFUSED
    assert Membership.objects.filter(user=cast.owner).count() == 2
    membership_grant(target=cast.show, user=cast.editor, role=Role.OWNER)
    user_delete(user=cast.owner, password=PASSWORD)
    # Both seats are gone; the show keeps its new owner.
    assert not Membership.objects.filter(user=cast.owner).exists()
    assert Membership.objects.filter(show=cast.show, role=Role.OWNER).count() == 1


def test_a_deleted_accounts_open_invitations_are_withdrawn(cast: Cast) -> None:
    invitation = invitation_create(
        target=cast.show,
        email="listener@example.com",
        role=Role.EDITOR,
        acting_user=cast.owner,
    )
    user_delete(user=cast.listener, password=PASSWORD)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
