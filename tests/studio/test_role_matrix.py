"""Every studio page and action, for each kind of person.

Only the allowed succeed; another creator, a listener and a member without the
role get 404 (never 403, which would confirm the show exists), anonymous
visitors go to sign in, and none of them changes anything in the database.
Each action runs in a savepoint rolled back afterwards, so every one starts
from the same cast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ondas.catalog.models import Show, ShowCategory
from ondas.ingest.services.imports import feed_source_import
from ondas.studio.models import Invitation, Membership, Role, ShowClaim
from ondas.studio.services.members import invitation_create, membership_grant
from ondas.studio.services.shows import show_create_in_studio
from ondas.studio.tokens import invitation_token_make
from tests.ingest.factories import fake_items, rss
from tests.studio.conftest import Cast, audiobook_make, show_input
from tests.support.feeds import FeedServer, Reply

pytestmark = pytest.mark.django_db

ACTORS = ["owner", "editor", "analyst", "other_creator", "listener", "anonymous"]


def snapshot() -> tuple[object, ...]:
    """Everything a studio action could change."""
    return (
        sorted(
            Show.objects.values_list(
                "pk",
                "title",
                "author",
                "description",
                "language",
                "explicit",
                "default_access",
                "content_version",
            )
        ),
        sorted(ShowCategory.objects.values_list("show_id", "category_id", "position")),
        list(
            Membership.objects.order_by("pk").values_list(
                "user_id", "show_id", "audiobook_id", "role"
            )
        ),
        list(
            Invitation.objects.order_by("pk").values_list(
                "email", "role", "show_id", "audiobook_id", "accepted_at", "revoked_at"
            )
        ),
    )


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    url: Callable[[Cast, Invitation], str]
    allowed: frozenset[str]
    data: dict[str, str]
    # The status of the allowed; of denied members and strangers.
    ok: int = 302
    denied: int = 404


def _show_form(title: str) -> dict[str, str]:
    return {
        "title": title,
        "author": "Ana Pérez",
        "description": "<p>Nuevo.</p>",
        "language": "es",
        "category": "",
        "default_access": "exclusive",
    }


OWNER = frozenset({"owner"})
EDITORS = frozenset({"owner", "editor"})
MEMBERS = frozenset({"owner", "editor", "analyst"})
SIGNED_IN = frozenset(ACTORS) - {"anonymous"}


def _members_url(cast: Cast, _i: Invitation) -> str:
    return f"/studio/shows/{cast.show.pk}/members/"


def _member_url(cast: Cast, what: str) -> str:
    analyst = Membership.objects.get(show=cast.show, user=cast.analyst)
    return f"/studio/shows/{cast.show.pk}/members/{analyst.pk}/{what}/"


ACTIONS = [
    Action("dashboard", "get", lambda c, i: "/studio/", SIGNED_IN, {}, ok=200),
    Action(
        "create form",
        "get",
        lambda c, i: "/studio/shows/new/",
        frozenset({"owner", "other_creator"}),
        {},
        ok=200,
        denied=403,
    ),
    Action(
        "create",
        "post",
        lambda c, i: "/studio/shows/new/",
        frozenset({"owner", "other_creator"}),
        _show_form("Brand New"),
        denied=403,
    ),
    Action(
        "edit form",
        "get",
        lambda c, i: f"/studio/shows/{c.show.pk}/",
        EDITORS,
        {},
        ok=200,
    ),
    Action(
        "edit",
        "post",
        lambda c, i: f"/studio/shows/{c.show.pk}/",
        EDITORS,
        _show_form("Renamed"),
    ),
    Action("members page", "get", _members_url, OWNER, {}, ok=200),
    Action(
        "invite",
        "post",
        _members_url,
        OWNER,
        {"email": "guest@example.com", "role": "analyst"},
    ),
    Action(
        "change role",
        "post",
        lambda c, i: _member_url(c, "role"),
        OWNER,
        {"role": "editor"},
    ),
    Action("remove", "post", lambda c, i: _member_url(c, "remove"), OWNER, {}),
    Action(
        "revoke",
        "post",
        lambda c, i: f"/studio/shows/{c.show.pk}/invitations/{i.pk}/revoke/",
        OWNER,
        {},
    ),
    # The owner is the last one: leaving is refused (409), see test_members.
    Action(
        "leave",
        "post",
        lambda c, i: f"/studio/shows/{c.show.pk}/leave/",
        frozenset({"editor", "analyst"}),
        {},
    ),
]


class _Rollback(Exception):
    pass


def _run(client: Client, action: Action, cast: Cast, invitation: Invitation) -> int:
    url = action.url(cast, invitation)
    if action.method == "get":
        return client.get(url).status_code
    return client.post(url, action.data).status_code


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_allowed_succeed_and_the_rest_change_nothing(
    actor: str, cast: Cast, client: Client
) -> None:
    invitation = invitation_create(
        target=cast.show,
        email="waiting@example.com",
        role=Role.EDITOR,
        acting_user=cast.owner,
    )
    if actor != "anonymous":
        client.force_login(getattr(cast, actor))
    for action in ACTIONS:
        before = snapshot()
        try:
            with transaction.atomic():
                status = _run(client, action, cast, invitation)
                after = snapshot()
                raise _Rollback
        except _Rollback:
            pass
        where = f"{actor} × {action.name}"
        if actor == "anonymous":
            assert status == 302, where
            assert after == before, where
        elif actor in action.allowed:
            assert status == action.ok, where
            if action.method == "post":
                assert after != before, where
        elif actor == "owner" and action.name == "leave":
            assert status == 409, where
            assert after == before, where
        else:
            assert status == action.denied, where
            assert after == before, where


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, cast: Cast) -> None:
    response = client.get(f"/studio/shows/{cast.show.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/")
    assert f"next=/studio/shows/{cast.show.pk}/" in response["Location"]


def test_another_creators_show_looks_like_no_show_at_all(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.other_creator)
    theirs = client.get(f"/studio/shows/{cast.show.pk}/")
    missing = client.get("/studio/shows/999999/")
    assert theirs.status_code == missing.status_code == 404
    for response in (theirs, missing):
        page = response.content.decode()
        assert "There is nothing here in your studio." in page
        assert "Ondas en Vivo" not in page


def test_the_dashboard_lists_my_shows_with_my_role_and_nobody_elses(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.editor)
    page = client.get("/studio/").content.decode()
    assert "Ondas en Vivo" in page and "Editor" in page
    assert "Otra Cosa" not in page


def test_a_listener_sees_an_empty_studio_offering_to_create_a_show(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.listener)
    page = client.get("/studio/").content.decode()
    assert "You have no shows or audiobooks in the studio yet." in page
    assert "Create a show" in page
    assert "Ondas en Vivo" not in page


def _book_actions(book_id: int, analyst_membership: int) -> list[tuple[str, str, str]]:
    base = f"/studio/books/{book_id}"
    return [
        ("members page", "get", f"{base}/members/"),
        ("invite", "post", f"{base}/members/"),
        ("change role", "post", f"{base}/members/{analyst_membership}/role/"),
        ("remove", "post", f"{base}/members/{analyst_membership}/remove/"),
        ("leave", "post", f"{base}/leave/"),
    ]


@pytest.mark.parametrize("actor", ACTORS)
def test_book_members_pages_follow_the_same_rule(
    actor: str, cast: Cast, client: Client
) -> None:
    """An audiobook's members: owners manage them; others see no book at all."""
    book = audiobook_make()
    membership_grant(target=book, user=cast.owner, role=Role.OWNER)
    membership_grant(target=book, user=cast.editor, role=Role.EDITOR)
    analyst = membership_grant(target=book, user=cast.analyst, role=Role.ANALYST)
    data = {"email": "guest@example.com", "role": "editor"}
    if actor != "anonymous":
        client.force_login(getattr(cast, actor))
    for name, method, url in _book_actions(book.pk, analyst.pk):
        before = snapshot()
        try:
            with transaction.atomic():
                if method == "get":
                    status = client.get(url).status_code
                else:
                    status = client.post(url, data).status_code
                after = snapshot()
                raise _Rollback
        except _Rollback:
            pass
        where = f"{actor} × book {name}"
        allowed = {"owner"} if name != "leave" else {"editor", "analyst"}
        if actor == "anonymous":
            assert (status, after) == (302, before), where
        elif actor in allowed:
            assert status == (200 if method == "get" else 302), where
            if method == "post":
                assert after != before, where
        elif actor == "owner":  # the last owner cannot leave
            assert (status, after) == (409, before), where
        else:
            assert (status, after) == (404, before), where


def test_the_dashboard_costs_the_same_queries_for_one_show_or_many(
    client: Client, cast: Cast, django_assert_num_queries: Callable[..., Any]
) -> None:
    """Counts come from one aggregate per kind, not a query per row."""
    membership_grant(target=audiobook_make(), user=cast.owner, role=Role.OWNER)
    client.force_login(cast.owner)
    client.get("/studio/")  # the session and the user, loaded once
    cache.clear()  # the episode counts are read, not taken from the cache
    with CaptureQueriesContext(connection) as one:
        client.get("/studio/")
    for n in range(4):
        show_create_in_studio(data=show_input(f"Más {n}"), acting_user=cast.owner)
    book = audiobook_make("Otro Libro")
    membership_grant(target=book, user=cast.owner, role=Role.OWNER)
    cache.clear()
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get("/studio/").content.decode()
    assert page.count("Más ") == 4
    assert "Libro de Prueba" in page and "Otro Libro" in page


@pytest.fixture
def imported_slug(feed_server: FeedServer, allow_loopback: None, db: None) -> str:
    url = feed_server.serve("/m.xml", Reply(rss(fake_items(2))))
    return feed_source_import(url=url).show.slug


@pytest.mark.parametrize("actor", ACTORS)
def test_claims_and_invitation_links_for_everyone(
    actor: str, cast: Cast, client: Client, imported_slug: str
) -> None:
    """The claim pages are about a public show: any signed-in person may read
    them, only creators may ask for a code. An invitation link works only for
    the address it was sent to (here the listener's)."""
    invitation = invitation_create(
        target=cast.show,
        email="listener@example.com",
        role=Role.ANALYST,
        acting_user=cast.owner,
    )
    token = invitation_token_make(invitation_id=invitation.pk, email=invitation.email)
    if actor != "anonymous":
        client.force_login(getattr(cast, actor))
    creators = {"owner", "other_creator"}
    cases = [
        ("claim page", "get", f"/studio/claim/{imported_slug}/", SIGNED_IN, 200, 0),
        ("claim code", "post", f"/studio/claim/{imported_slug}/", creators, 302, 403),
        (
            "claim find",
            "get",
            f"/studio/claim/?show={imported_slug}",
            SIGNED_IN,
            302,
            0,
        ),
        ("invitation page", "get", f"/studio/invitations/{token}/", SIGNED_IN, 200, 0),
        ("accept", "post", f"/studio/invitations/{token}/", {"listener"}, 302, 403),
    ]
    for name, method, url, allowed, ok, denied in cases:
        before = (snapshot(), list(ShowClaim.objects.values_list("user_id", "show_id")))
        try:
            with transaction.atomic():
                response = getattr(client, method)(url)
                after = (
                    snapshot(),
                    list(ShowClaim.objects.values_list("user_id", "show_id")),
                )
                raise _Rollback
        except _Rollback:
            pass
        where = f"{actor} × {name}"
        if actor == "anonymous":
            assert response.status_code == 302, where
            assert response["Location"].startswith("/account/sign-in/"), where
            assert after == before, where
        elif actor in allowed:
            assert response.status_code == ok, where
            assert (after != before) is (method == "post"), where
        else:
            assert (response.status_code, after) == (denied, before), where
