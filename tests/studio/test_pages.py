"""The studio's pages: create and edit a show, members, invitations, claims."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils.timezone import now as timezone_now

from ondas.catalog.models import Category, Show
from ondas.ingest.models import FeedSource
from ondas.ingest.services.imports import feed_source_import
from ondas.studio.models import Invitation, Membership, Role, ShowClaim
from ondas.studio.services.members import invitation_create, membership_grant
from ondas.studio.tokens import invitation_token_make
from tests.accounts.factories import user_make
from tests.ingest.factories import fake_items, rss
from tests.studio.conftest import Cast
from tests.support.feeds import FeedServer, Reply

pytestmark = pytest.mark.django_db


def _form(**changes: str) -> dict[str, str]:
    data = {
        "title": "Servidores de Noche",
        "author": "Luz Martín",
        "description": "<p>Un show sobre <strong>servidores</strong>.</p>",
        "language": "es-MX",
        "category": str(Category.objects.get(name="Tech News").pk),
        "explicit": "on",
        "default_access": "exclusive",
    }
    data.update(changes)
    return data


def test_a_created_show_is_on_the_public_pages_like_an_imported_one(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    response = client.post("/studio/shows/new/", _form())
    show = Show.objects.get(title="Servidores de Noche")
    assert response["Location"] == f"/studio/shows/{show.pk}/"
    assert (show.language, show.explicit, show.default_access) == (
        "es-MX",
        True,
        "exclusive",
    )
    assert [str(c) for c in show.categories.all()] == ["News › Tech News"]
    assert Membership.objects.get(show=show).user == cast.owner
    client.logout()
    page = client.get(f"/shows/{show.slug}/")
    assert page.status_code == 200
    assert "Servidores de Noche" in page.content.decode()
    assert "Servidores de Noche" in client.get("/").content.decode()
    feed = client.get(f"/shows/{show.slug}/feed.xml")
    assert feed.status_code == 200
    body = b"".join(feed.streaming_content)  # type: ignore[attr-defined]
    assert b'<itunes:category text="News"><itunes:category text="Tech News"' in body


def test_a_bad_language_is_refused_and_nothing_is_made(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    before = Show.objects.count()
    response = client.post("/studio/shows/new/", _form(language="spanish!"))
    assert response.status_code == 400
    assert "Enter a BCP 47 language tag" in response.content.decode()
    assert Show.objects.count() == before


def test_editing_a_show_bumps_its_content_version(client: Client, cast: Cast) -> None:
    client.force_login(cast.editor)
    version = cast.show.content_version
    response = client.post(f"/studio/shows/{cast.show.pk}/", _form(title="Otro"))
    assert response.status_code == 302
    cast.show.refresh_from_db()
    assert cast.show.title == "Otro"
    assert cast.show.content_version > version


@pytest.fixture
def imported_show(
    feed_server: FeedServer, allow_loopback: None, cast: Cast
) -> FeedSource:
    url = feed_server.serve("/f.xml", Reply(rss(fake_items(2))))
    source = feed_source_import(url=url)
    membership_grant(target=source.show, user=cast.owner, role=Role.OWNER)
    return source


def test_an_imported_show_shows_its_feed_fields_read_only(
    client: Client, cast: Cast, imported_show: FeedSource
) -> None:
    show = imported_show.show
    client.force_login(cast.owner)
    page = client.get(f"/studio/shows/{show.pk}/").content.decode()
    assert "This show follows its RSS feed" in page
    assert 'name="title" value="Chaos Radio" maxlength="255" required disabled' in page
    response = client.post(
        f"/studio/shows/{show.pk}/", _form(title="Hijacked", default_access="exclusive")
    )
    assert response.status_code == 302
    show.refresh_from_db()
    # The title stays the feed's; the Ondas-only settings change.
    assert show.title == "Chaos Radio"
    assert show.default_access == "exclusive"
    assert [c.name for c in show.categories.all()] == ["Tech News"]


def test_the_last_owner_cannot_leave_and_is_told_why(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    response = client.post(f"/studio/shows/{cast.show.pk}/leave/")
    assert response.status_code == 409
    assert "Every show and book needs an owner" in response.content.decode()
    assert Membership.objects.filter(show=cast.show, role=Role.OWNER).count() == 1


def test_an_owner_invites_and_the_invitee_accepts_through_the_pages(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    client.post(
        f"/studio/shows/{cast.show.pk}/members/",
        {"email": "guest@example.com", "role": "analyst"},
    )
    invitation = Invitation.objects.get(email="guest@example.com")
    token = invitation_token_make(invitation_id=invitation.pk, email=invitation.email)
    client.logout()  # forgets every cookie, the language's too
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/studio/invitations/{token}/"
    assert client.get(url)["Location"].startswith("/account/sign-in/")
    guest = user_make(email="guest@example.com")
    client.force_login(guest)
    assert "Join “Ondas en Vivo” as Analyst" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.get(show=cast.show, user=guest).role == Role.ANALYST
    again = client.post(url)
    assert again.status_code == 409
    assert "already been accepted" in again.content.decode()


def test_an_invitation_opened_with_another_account_says_why_not(
    client: Client, cast: Cast
) -> None:
    invitation = invitation_create(
        target=cast.show,
        email="guest@example.com",
        role="editor",
        acting_user=cast.owner,
    )
    token = invitation_token_make(invitation_id=invitation.pk, email=invitation.email)
    client.force_login(cast.listener)
    response = client.post(f"/studio/invitations/{token}/")
    assert response.status_code == 403
    assert "You are signed in as listener@example.com" in response.content.decode()
    assert not Membership.objects.filter(user=cast.listener).exists()


def test_an_expired_invitation_page_says_so(client: Client, cast: Cast) -> None:
    invitation = invitation_create(
        target=cast.show,
        email="listener@example.com",
        role="editor",
        acting_user=cast.owner,
        now=timezone_now() - timedelta(days=8),
    )
    token = invitation_token_make(invitation_id=invitation.pk, email=invitation.email)
    client.force_login(cast.listener)
    response = client.post(f"/studio/invitations/{token}/")
    assert response.status_code == 410
    assert "This invitation has expired." in response.content.decode()
    assert not Membership.objects.filter(user=cast.listener).exists()


def test_a_creator_gets_a_claim_code_on_the_claim_page(
    client: Client, cast: Cast, imported_show: FeedSource
) -> None:
    client.force_login(cast.other_creator)
    url = f"/studio/claim/{imported_show.show.slug}/"
    assert client.post(url).status_code == 302
    claim = ShowClaim.objects.get(user=cast.other_creator)
    assert claim.token in client.get(url).content.decode()
    client.force_login(cast.listener)
    assert client.post(url).status_code == 403
    assert ShowClaim.objects.count() == 1


def test_the_studio_pages_speak_spanish(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = client.get("/studio/").content.decode()
    assert "Tu estudio" in page
    assert "Propietario" in page
    members = client.get(f"/studio/shows/{cast.show.pk}/members/").content.decode()
    assert "Invitar a alguien" in members


@pytest.mark.parametrize(
    "pasted",
    [
        "https://ondas.example/shows/chaos-radio/",
        "/shows/chaos-radio/ep-1/",
        "chaos-radio",
    ],
)
def test_a_pasted_show_address_leads_to_its_claim_page(
    client: Client, cast: Cast, pasted: str
) -> None:
    client.force_login(cast.other_creator)
    response = client.get("/studio/claim/", {"show": pasted})
    assert response["Location"] == "/studio/claim/chaos-radio/"


def test_a_pasted_address_that_names_no_show_is_refused(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.other_creator)
    response = client.get("/studio/claim/", {"show": "¿qué?"})
    assert response.status_code == 400
    assert "This is not the address of a show&#x27;s page." in response.content.decode()
