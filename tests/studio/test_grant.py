"""Staff give a show its owner: `ondas studio grant` and the admin."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ondas.accounts.models import User
from ondas.catalog.services import show_create
from ondas.studio.models import Membership, Role
from ondas.studio.services.members import membership_grant
from tests.accounts.factories import user_make
from tests.studio.conftest import Cast

pytestmark = pytest.mark.django_db


def test_grant_command_makes_an_owner_of_a_show_nobody_owns(db: None) -> None:
    show = show_create(title="Sin Dueño", author="Nadie", language="es")
    user_make(email="duena@example.com")
    out = io.StringIO()
    call_command("studio_grant", "Duena@Example.com", show.slug, stdout=out)
    assert "duena@example.com is now owner of “Sin Dueño”." in out.getvalue()
    membership = Membership.objects.get(show=show)
    assert (membership.user.email, membership.role) == ("duena@example.com", "owner")


def test_grant_command_refuses_unknown_people_and_shows(cast: Cast) -> None:
    before = list(Membership.objects.values_list("pk", "role"))
    with pytest.raises(CommandError, match="No account has the address x@y.z"):
        call_command("studio_grant", "x@y.z", cast.show.slug)
    with pytest.raises(CommandError, match="No show has the slug nope"):
        call_command("studio_grant", "owner@example.com", "nope")
    with pytest.raises(CommandError, match="studio_last_owner"):
        call_command(
            "studio_grant", "owner@example.com", cast.show.slug, "--role", "editor"
        )
    assert list(Membership.objects.values_list("pk", "role")) == before


def test_staff_add_an_owner_in_the_admin(client: Client, cast: Cast) -> None:
    staff = User.objects.create_superuser("root2@example.com", "pw")
    client.force_login(staff)
    response = client.post(
        "/admin/studio/membership/add/",
        {"user": cast.listener.pk, "show": cast.show.pk, "role": "owner"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(show=cast.show, user=cast.listener).role == "owner"


def test_the_admin_cannot_delete_the_last_owner(client: Client, cast: Cast) -> None:
    staff = User.objects.create_superuser("root2@example.com", "pw")
    client.force_login(staff)
    owner = Membership.objects.get(show=cast.show, role=Role.OWNER)
    client.post(f"/admin/studio/membership/{owner.pk}/delete/", {"post": "yes"})
    assert Membership.objects.filter(pk=owner.pk).exists()
    membership_grant(target=cast.show, user=cast.editor, role=Role.OWNER)
    client.post(f"/admin/studio/membership/{owner.pk}/delete/", {"post": "yes"})
    assert not Membership.objects.filter(pk=owner.pk).exists()
