"""Every episode page and action of the studio, for each kind of person.

As in test_role_matrix: owners and editors may; an analyst, another creator
and a listener get 404 (the show's episodes do not exist for them);
anonymous visitors go to sign in; nobody refused changes anything. Each
action runs in a savepoint rolled back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from ondas.catalog.models import Chapter, Episode, EpisodeGuidTombstone, Transcript
from ondas.catalog.services.authored import PublishWhen, studio_episode_create
from ondas.catalog.services.transcripts import episode_transcript_upload
from tests.studio.conftest import Cast
from tests.studio.test_episode_pages import VTT, uploaded_audio

pytestmark = pytest.mark.django_db

ACTORS = ["owner", "editor", "analyst", "other_creator", "listener", "anonymous"]
EDITORS = frozenset({"owner", "editor"})


def snapshot() -> tuple[object, ...]:
    """Everything an episode page could change."""
    return (
        sorted(
            Episode.objects.values_list(
                "pk",
                "show_id",
                "title",
                "status",
                "published_at",
                "audio_id",
                "access",
                "deleted_at",
            )
        ),
        sorted(Chapter.objects.values_list("episode_id", "start_seconds", "title")),
        sorted(Transcript.objects.values_list("pk", "episode_id", "mime_type")),
        sorted(EpisodeGuidTombstone.objects.values_list("show_id", "guid")),
    )


@dataclass(frozen=True)
class Scene:
    cast: Cast
    live: Episode  # published, with audio, a chapter and a transcript
    draft: Episode
    transcript: Transcript


@pytest.fixture
def scene(cast: Cast) -> Scene:
    audio = uploaded_audio(cast.owner)
    live = studio_episode_create(
        show=cast.show, title="En el aire", audio_id=audio.pk, when=PublishWhen.NOW
    )
    Chapter.objects.create(episode=live, start_seconds=0, title="Intro")
    transcript = episode_transcript_upload(episode=live, name="t.vtt", data=VTT)
    draft = studio_episode_create(show=cast.show, title="Borrador")
    return Scene(cast, live, draft, transcript)


def _episode(scene: Scene, episode: Episode, rest: str = "") -> str:
    return f"/studio/shows/{scene.cast.show.pk}/episodes/{episode.pk}/{rest}"


def _episode_form(title: str) -> dict[str, str]:
    return {
        "title": title,
        "description": "",
        "kind": "full",
        "access": "free",
        "when": "draft",
    }


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    url: Callable[[Scene], str]
    data: Callable[[], dict[str, object]]
    ok: int = 302


def _nothing() -> dict[str, object]:
    return {}


ACTIONS = [
    Action(
        "list",
        "get",
        lambda s: f"/studio/shows/{s.cast.show.pk}/episodes/",
        _nothing,
        ok=200,
    ),
    Action(
        "create form",
        "get",
        lambda s: f"/studio/shows/{s.cast.show.pk}/episodes/new/",
        _nothing,
        ok=200,
    ),
    Action(
        "create",
        "post",
        lambda s: f"/studio/shows/{s.cast.show.pk}/episodes/new/",
        lambda: _episode_form("Nuevo"),
    ),
    Action("edit form", "get", lambda s: _episode(s, s.draft), _nothing, ok=200),
    Action(
        "edit", "post", lambda s: _episode(s, s.draft), lambda: _episode_form("Otro")
    ),
    Action(
        "chapters",
        "post",
        lambda s: _episode(s, s.live, "chapters/"),
        lambda: {
            "chapter_start": ["0", "0:05"],
            "chapter_title": ["Hola", "Tema"],
            "chapter_url": ["", ""],
            "op": "save",
        },
    ),
    Action(
        "transcript upload",
        "post",
        lambda s: _episode(s, s.draft, "transcripts/"),
        lambda: {"file": SimpleUploadedFile("t.vtt", VTT)},
    ),
    Action(
        "transcript remove",
        "post",
        lambda s: _episode(s, s.live, f"transcripts/{s.transcript.pk}/remove/"),
        _nothing,
    ),
    Action(
        "unpublish page",
        "get",
        lambda s: _episode(s, s.live, "unpublish/"),
        _nothing,
        ok=200,
    ),
    Action("unpublish", "post", lambda s: _episode(s, s.live, "unpublish/"), _nothing),
    Action(
        "delete page", "get", lambda s: _episode(s, s.live, "delete/"), _nothing, ok=200
    ),
    Action("delete", "post", lambda s: _episode(s, s.live, "delete/"), _nothing),
    Action("audio", "get", lambda s: _episode(s, s.live, "audio/"), _nothing, ok=200),
]


class _Rollback(Exception):
    pass


@pytest.mark.parametrize("actor", ACTORS)
def test_only_owners_and_editors_reach_episodes_and_the_rest_change_nothing(
    actor: str, scene: Scene, client: Client
) -> None:
    if actor != "anonymous":
        client.force_login(getattr(scene.cast, actor))
    for action in ACTIONS:
        before = snapshot()
        url = action.url(scene)
        try:
            with transaction.atomic():
                response = getattr(client, action.method)(url, action.data())
                after = snapshot()
                raise _Rollback
        except _Rollback:
            pass
        where = f"{actor} × {action.name}"
        if actor == "anonymous":
            assert response.status_code == 302, where
            assert response["Location"].startswith("/account/sign-in/"), where
            assert after == before, where
        elif actor in EDITORS:
            assert response.status_code == action.ok, where
            assert (after != before) is (action.method == "post"), where
        else:
            assert response.status_code == 404, where
            assert after == before, where


def test_an_episode_id_under_another_show_is_not_found(
    scene: Scene, client: Client
) -> None:
    """Another creator's own show in the address does not open our episode."""
    other = scene.cast.other_creator
    client.force_login(other)
    theirs = scene.cast.other_show.pk
    before = snapshot()

    pages = [
        client.get(f"/studio/shows/{theirs}/episodes/{scene.live.pk}/"),
        client.post(f"/studio/shows/{theirs}/episodes/{scene.live.pk}/delete/"),
        client.post(
            f"/studio/shows/{theirs}/episodes/{scene.live.pk}/transcripts/"
            f"{scene.transcript.pk}/remove/"
        ),
        client.get(f"/studio/shows/{theirs}/episodes/{scene.live.pk}/audio/"),
    ]

    assert [page.status_code for page in pages] == [404] * 4
    assert "There is nothing here in your studio." in pages[0].content.decode()
    assert snapshot() == before
