"""The studio's reads over the API: who sees which show (the role matrix),
drafts kept out of the public catalog, the numbers page's own figures,
cursor walks and the one error shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Episode
from ondas.catalog.services import episode_create
from ondas.catalog.services.authored import studio_episode_create
from ondas.core import clock
from ondas.studio.models import Role
from ondas.studio.services.members import membership_grant
from ondas.studio.services.shows import show_create_in_studio
from ondas.web.numbers import show_numbers
from tests.api.conftest import bearer, token_for
from tests.studio.conftest import audiobook_make, show_input
from tests.web.numbers_data import NumbersCast, numbers_cast_make

pytestmark = pytest.mark.django_db

WHO = ("owner", "editor", "analyst", "other", "listener", "nobody")


@dataclass
class StudioCast:
    numbers: NumbersCast
    draft: Episode
    scheduled: Episode
    book: Audiobook

    def user(self, who: str) -> User:
        c = self.numbers
        return {
            "owner": c.owner,
            "editor": c.editor,
            "analyst": c.analyst,
            "other": c.other_owner,
            "listener": c.listener,
        }[who]


@pytest.fixture
def studio(db: None, settings: Settings) -> StudioCast:
    """The numbers pages' show (three published episodes with a year of
    roll-ups), plus a draft, a scheduled episode and a book, each with an
    owner, an editor and an analyst."""
    settings.ONDAS_API_RATE_LIMIT = 0
    numbers = numbers_cast_make()
    draft = studio_episode_create(show=numbers.show, title="Borrador secreto")
    scheduled = episode_create(
        show=numbers.show,
        guid="numbers-scheduled",
        title="Programado secreto",
        published_at=clock.now() + timedelta(days=3),
        duration_seconds=600,
    )
    book = audiobook_make("Libro del estudio")
    membership_grant(target=book, user=numbers.owner, role=Role.OWNER)
    membership_grant(target=book, user=numbers.editor, role=Role.EDITOR)
    membership_grant(target=book, user=numbers.analyst, role=Role.ANALYST)
    return StudioCast(numbers, draft, scheduled, book)


def auth(studio: StudioCast, who: str, language: str = "en") -> dict[str, str]:
    """A read token of ``who`` (none for "nobody"), asking in ``language``."""
    asks = {"HTTP_ACCEPT_LANGUAGE": language}
    if who == "nobody":
        return asks
    return asks | bearer(token_for(studio.user(who), "read"))


def paths(studio: StudioCast) -> dict[str, str]:
    show, book = studio.numbers.show.pk, studio.book.pk
    return {
        "episodes": f"/api/v1/studio/shows/{show}/episodes",
        "numbers": f"/api/v1/studio/shows/{show}/numbers",
        "parts": f"/api/v1/studio/audiobooks/{book}/parts",
    }


# What each person gets from each endpoint of one show or book: the studio's
# pages' own rule (episodes and parts: editors; numbers: analysts too).
MATRIX = {
    "episodes": {"owner": 200, "editor": 200, "analyst": 404},
    "numbers": {"owner": 200, "editor": 200, "analyst": 200},
    "parts": {"owner": 200, "editor": 200, "analyst": 404},
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_studio_role_matrix(
    api: Client, studio: StudioCast, endpoint: str, who: str
) -> None:
    expected = MATRIX[endpoint].get(who, 401 if who == "nobody" else 404)

    response = api.get(paths(studio)[endpoint], **auth(studio, who))

    assert response.status_code == expected
    if expected == 404:
        # The same answer as for an id that does not exist: nothing says
        # the show (or its drafts) is there.
        assert response.json() == {
            "error": {
                "code": "studio_not_found",
                "message": "There is nothing here in your studio.",
                "field": None,
            }
        }
        missing = (
            paths(studio)[endpoint]
            .replace(f"/{studio.numbers.show.pk}/", "/999999/")
            .replace(f"/{studio.book.pk}/", "/999999/")
        )
        assert api.get(missing, **auth(studio, who)).json() == response.json()
        spanish = api.get(paths(studio)[endpoint], **auth(studio, who, "es"))
        assert spanish.json()["error"]["message"] == "Aquí no hay nada en tu estudio."
    if expected == 401:
        assert response.json()["error"]["code"] == "sign_in_required"


@pytest.mark.parametrize("who", WHO)
def test_studio_lists_give_each_person_their_own(
    api: Client, studio: StudioCast, who: str
) -> None:
    shows = api.get("/api/v1/studio/shows", **auth(studio, who))
    books = api.get("/api/v1/studio/audiobooks", **auth(studio, who))

    if who == "nobody":
        assert shows.status_code == books.status_code == 401
        return
    assert shows.status_code == books.status_code == 200
    got_shows = [(s["title"], s["role"]) for s in shows.json()["items"]]
    got_books = [(b["title"], b["role"]) for b in books.json()["items"]]
    role = {"owner": "owner", "editor": "editor", "analyst": "analyst"}.get(who)
    if role:
        assert got_shows == [("Ondas en Vivo", role)]
        assert got_books == [("Libro del estudio", role)]
    elif who == "other":
        assert got_shows == [("Otra Cosa", "owner")]
        assert got_books == []
    else:
        assert got_shows == got_books == []


def test_studio_show_list_counts_drafts_and_scheduled(
    api: Client, studio: StudioCast
) -> None:
    response = api.get("/api/v1/studio/shows", **auth(studio, "owner"))

    (row,) = response.json()["items"]
    show = studio.numbers.show
    assert row == {
        "id": show.pk,
        "slug": show.slug,
        "title": "Ondas en Vivo",
        "role": "owner",
        "episodes": 5,
        "drafts": 1,
        "scheduled": 1,
        "follows_feed": False,
        "url": f"/shows/{show.slug}/",
        "studio_url": f"/studio/shows/{show.pk}/",
    }
    assert response.json()["next"] is None
    assert "ETag" in response
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}
    again = api.get(
        "/api/v1/studio/shows",
        HTTP_IF_NONE_MATCH=response["ETag"],
        **auth(studio, "owner"),
    )
    assert again.status_code == 304


def test_studio_episodes_show_drafts_to_the_owner_and_never_publicly(
    api: Client, studio: StudioCast
) -> None:
    show = studio.numbers.show
    response = api.get(paths(studio)["episodes"], **auth(studio, "owner"))

    items = response.json()["items"]
    states = {item["title"]: item["state"] for item in items}
    assert states == {
        "Programado secreto": "scheduled",
        "Borrador secreto": "draft",
        "Episodio 3": "published",
        "Episodio 2": "published",
        "Episodio 1": "published",
    }
    draft = next(i for i in items if i["state"] == "draft")
    assert draft["published_at"] is None
    assert draft["has_audio"] is False
    # Scheduled first: latest publication time first, as the studio lists them.
    assert items[0]["title"] == "Programado secreto"
    drafts = api.get(
        paths(studio)["episodes"] + "?state=draft", **auth(studio, "editor")
    )
    assert [i["id"] for i in drafts.json()["items"]] == [studio.draft.pk]

    # The public catalog, for anyone and for the owner: published ones only.
    for who in ("nobody", "owner"):
        public = api.get(f"/api/v1/shows/{show.slug}/episodes", **auth(studio, who))
        assert public.status_code == 200
        assert [e["title"] for e in public.json()["items"]] == [
            "Episodio 3",
            "Episodio 2",
            "Episodio 1",
        ]
        for hidden in (studio.draft, studio.scheduled):
            one = api.get(
                f"/api/v1/shows/{show.slug}/episodes/{hidden.slug}",
                **auth(studio, who),
            )
            assert one.status_code == 404
            assert one.json()["error"]["code"] == "episode_not_found"
        shows = api.get("/api/v1/shows", **auth(studio, who)).content.decode()
        assert "secreto" not in shows


@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_studio_numbers_equal_the_numbers_page(
    api: Client, studio: StudioCast, days: int
) -> None:
    c = studio.numbers

    response = api.get(
        paths(studio)["numbers"] + f"?days={days}", **auth(studio, "analyst")
    )

    body = response.json()
    assert response.status_code == 200
    assert body["days"] == days
    assert len(body["per_day"]) == days
    assert body["until"] == c.today.isoformat()
    # The page's own selector over the same range (7 days is the API's own
    # range, so it is compared with the page's first week of 30).
    page = show_numbers(show=c.show, days=max(days, 30), page=1, today=c.today)
    rows = page.day_rows[-days:]
    assert body["per_day"] == [
        {
            "day": row.day.isoformat(),
            "downloads": row.downloads,
            "download_listeners": row.download_listeners,
            "plays": row.plays,
            "play_listeners": row.play_listeners,
        }
        for row in rows
    ]
    assert body["downloads"] == sum(row.downloads for row in rows)
    assert body["plays"] == sum(row.plays for row in rows)
    assert body["busiest_day_listeners"] == max(r.download_listeners for r in rows)
    if days != 7:
        assert (body["downloads"], body["plays"]) == (page.downloads, page.plays)
        assert body["busiest_day_listeners"] == page.busiest_listeners
        assert body["since"] == page.since.isoformat()
    assert body["downloads"] > 0


def test_studio_numbers_refuse_another_range(api: Client, studio: StudioCast) -> None:
    response = api.get(paths(studio)["numbers"] + "?days=14", **auth(studio, "owner"))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error == {
        "code": "invalid_request",
        "message": "Choose 7, 30, 90 or 365 days.",
        "field": "days",
    }
    spanish = api.get(
        paths(studio)["numbers"] + "?days=14", **auth(studio, "owner", "es")
    )
    assert spanish.json()["error"]["message"] == "Elige 7, 30, 90 o 365 días."


def test_studio_episode_cursor_walk_never_repeats(
    api: Client, studio: StudioCast
) -> None:
    for n in range(4):  # more drafts: ties on nothing, all in the walk
        studio_episode_create(show=studio.numbers.show, title=f"Borrador {n}")
    seen: list[int] = []
    url = paths(studio)["episodes"] + "?limit=2"
    pages = 0
    while url:
        body = api.get(url, **auth(studio, "owner")).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        url = (
            (paths(studio)["episodes"] + f"?limit=2&cursor={body['next']}")
            if body["next"]
            else ""
        )

    assert pages == 5
    assert len(seen) == len(set(seen)) == 9
    expected = list(
        Episode.objects.filter(show=studio.numbers.show)
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)
    )
    assert seen == expected


def test_studio_book_parts_and_a_bad_cursor(api: Client, studio: StudioCast) -> None:
    parts = api.get(paths(studio)["parts"], **auth(studio, "owner")).json()
    bad = api.get(paths(studio)["parts"] + "?cursor=nonsense", **auth(studio, "owner"))

    assert [(p["position"], p["mime_type"]) for p in parts["items"]] == [
        (1, "audio/mpeg")
    ]
    assert bad.status_code == 400
    assert bad.json() == {
        "error": {
            "code": "invalid_request",
            "message": "This cursor is not valid.",
            "field": "cursor",
        }
    }


def test_studio_reads_take_a_read_token_and_the_session(
    api: Client, studio: StudioCast
) -> None:
    write = bearer(token_for(studio.numbers.owner, "write"))
    assert api.get("/api/v1/studio/shows", **write).status_code == 200
    posted = api.post("/api/v1/studio/shows", **auth(studio, "owner"))
    assert posted.status_code == 405
    assert posted.json()["error"]["code"] == "method_not_allowed"

    api.force_login(studio.numbers.editor)
    session = api.get(paths(studio)["episodes"])
    assert session.status_code == 200
    assert len(session.json()["items"]) == 5
    revoked = api.get("/api/v1/studio/shows", **bearer("ondas_unknown"))
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "access_token_invalid"


def test_studio_ids_past_the_integer_range_are_not_found(
    api: Client, studio: StudioCast
) -> None:
    huge = 2**70
    for path in (
        f"/api/v1/studio/shows/{huge}/episodes",
        f"/api/v1/studio/shows/{huge}/numbers",
        f"/api/v1/studio/audiobooks/{huge}/parts",
    ):
        response = api.get(path, **auth(studio, "owner"))
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "studio_not_found"


def test_studio_lists_cost_the_same_queries_for_more_shows(
    api: Client, studio: StudioCast
) -> None:
    owner = auth(studio, "owner")
    api.get("/api/v1/studio/shows", **owner)  # the token's first use is noted

    def queries(path: str) -> int:
        cache.clear()  # the episode counts are read, not kept
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path, **owner).status_code == 200
        return len(captured)

    shows = queries("/api/v1/studio/shows")
    episodes = queries(paths(studio)["episodes"])
    for n in range(3):
        show = show_create_in_studio(
            data=show_input(f"Más {n}"), acting_user=studio.numbers.owner
        )
        studio_episode_create(show=show, title="Otro borrador")
        studio_episode_create(show=studio.numbers.show, title=f"Borrador {n}")

    assert queries("/api/v1/studio/shows") == shows
    assert queries(paths(studio)["episodes"]) == episodes
    assert len(api.get("/api/v1/studio/shows", **owner).json()["items"]) == 4
