"""The audiobook pages, the trailer and the show's deletion, for each kind of
person: only the allowed succeed; members without the role, another creator
and a listener get 404 (403 where only creators may create), anonymous
visitors go to sign in, and none of them changes anything. Each action runs
in a savepoint rolled back afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, AudiobookPart, Episode, Show
from ondas.studio.models import Membership, Role
from ondas.studio.services.books import book_create_in_studio, book_part_add_in_studio
from ondas.studio.services.members import membership_grant
from tests.studio.conftest import Cast
from tests.studio.test_books import book_input, own_audio
from tests.studio.test_show_trailer_delete import _episode

pytestmark = pytest.mark.django_db

ACTORS = ["owner", "editor", "analyst", "other_creator", "listener", "anonymous"]
OWNER = frozenset({"owner"})
EDITORS = frozenset({"owner", "editor"})
CREATORS = frozenset({"owner", "other_creator"})


@dataclass
class World:
    cast: Cast
    book: Audiobook
    part: AudiobookPart
    episode: Episode
    audio: dict[str, int]  # each signed-in person's own upload


def snapshot() -> tuple[object, ...]:
    return (
        sorted(
            Audiobook.objects.values_list(
                "pk",
                "title",
                "authors",
                "narrators",
                "sample_seconds",
                "duration_seconds",
            )
        ),
        sorted(
            AudiobookPart.objects.values_list(
                "pk", "audiobook_id", "position", "title", "start_seconds"
            )
        ),
        sorted(Show.objects.values_list("pk", "title")),
        sorted(Episode.objects.values_list("pk", "kind")),
        sorted(Membership.objects.values_list("pk", "user_id", "role")),
    )


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    url: Callable[[World], str]
    allowed: frozenset[str]
    data: Callable[[World, str], dict[str, object]]
    ok: int = 302
    denied: int = 404


def _nothing(world: World, actor: str) -> dict[str, object]:
    return {}


def _book_form(world: World, actor: str) -> dict[str, object]:
    return {
        "title": "Otro Título",
        "authors": "Ana",
        "language": "es",
        "sample": "2:00",
        "audio_id": world.audio.get(actor, 0),
    }


def _book(world: World) -> str:
    return f"/studio/books/{world.book.pk}/"


def _part(world: World, what: str) -> str:
    return f"/studio/books/{world.book.pk}/parts/{world.part.pk}/{what}/"


ACTIONS = [
    Action(
        "book create form",
        "get",
        lambda w: "/studio/books/new/",
        CREATORS,
        _nothing,
        ok=200,
        denied=403,
    ),
    Action(
        "book create",
        "post",
        lambda w: "/studio/books/new/",
        CREATORS,
        _book_form,
        denied=403,
    ),
    Action("book edit form", "get", _book, EDITORS, _nothing, ok=200),
    Action("book edit", "post", _book, EDITORS, _book_form),
    Action(
        "part add",
        "post",
        lambda w: f"/studio/books/{w.book.pk}/parts/",
        EDITORS,
        lambda w, a: {"audio_id": w.audio.get(a, 0), "title": "Nueva"},
    ),
    Action(
        "part move",
        "post",
        lambda w: _part(w, "move"),
        EDITORS,
        lambda w, a: {"direction": "down"},
    ),
    Action(
        "part rename",
        "post",
        lambda w: _part(w, "rename"),
        EDITORS,
        lambda w, a: {"title": "Otro"},
    ),
    Action(
        "part remove page",
        "get",
        lambda w: _part(w, "remove"),
        EDITORS,
        _nothing,
        ok=200,
    ),
    Action("part remove", "post", lambda w: _part(w, "remove"), EDITORS, _nothing),
    Action(
        "trailer",
        "post",
        lambda w: f"/studio/shows/{w.cast.show.pk}/trailer/",
        EDITORS,
        lambda w, a: {"episode": w.episode.pk},
    ),
    Action(
        "show delete page",
        "get",
        lambda w: f"/studio/shows/{w.cast.show.pk}/delete/",
        OWNER,
        _nothing,
        ok=200,
    ),
    Action(
        "show delete",
        "post",
        lambda w: f"/studio/shows/{w.cast.show.pk}/delete/",
        OWNER,
        _nothing,
    ),
]


@pytest.fixture
def world(cast: Cast, media_root: object) -> World:
    audio = {
        actor: own_audio(getattr(cast, actor))
        for actor in ACTORS
        if actor != "anonymous"
    }
    book = book_create_in_studio(
        data=book_input(),
        audio_id=own_audio(cast.owner),
        part_title="Uno",
        acting_user=cast.owner,
    )
    # A second part, so that moving and removing the first can succeed.
    second = own_audio(cast.owner, seconds=3)
    book_part_add_in_studio(
        book=book, audio_id=second, title="Dos", acting_user=cast.owner
    )
    membership_grant(target=book, user=cast.editor, role=Role.EDITOR)
    membership_grant(target=book, user=cast.analyst, role=Role.ANALYST)
    other_book = book_create_in_studio(
        data=book_input("Libro Ajeno"),
        audio_id=own_audio(cast.other_creator),
        part_title="",
        acting_user=cast.other_creator,
    )
    assert other_book.pk != book.pk
    part = AudiobookPart.objects.get(audiobook=book, position=1)
    return World(cast, book, part, _episode(cast.show, "Avance"), audio)


class _Rollback(Exception):
    pass


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_allowed_succeed_and_the_rest_change_nothing(
    actor: str, world: World, client: Client
) -> None:
    if actor != "anonymous":
        person: User = getattr(world.cast, actor)
        client.force_login(person)
    for action in ACTIONS:
        before = snapshot()
        try:
            with transaction.atomic():
                url = action.url(world)
                if action.method == "get":
                    status = client.get(url).status_code
                else:
                    status = client.post(url, action.data(world, actor)).status_code
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
        else:
            assert status == action.denied, where
            assert after == before, where
