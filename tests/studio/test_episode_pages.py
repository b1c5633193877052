"""The studio's episode pages: list, create, edit, publish, schedule, the
chapter editor, transcripts, unpublish and delete."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now as timezone_now
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import (
    AudioFile,
    Chapter,
    Episode,
    EpisodeGuidTombstone,
    Show,
    Transcript,
)
from ondas.catalog.services.authored import PublishWhen, studio_episode_create
from ondas.ingest.services.imports import feed_source_import
from ondas.studio.models import Role
from ondas.studio.services.members import membership_grant
from ondas.studio.uploads.services import upload_receive_file
from tests.ingest.factories import fake_items, rss
from tests.studio.conftest import Cast
from tests.support.feeds import FeedServer, Reply
from tests.support.studio_audio import mp3_with_chapters

pytestmark = pytest.mark.django_db

VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHola a todos.\n"


def uploaded_audio(
    user: User, chapters: list[tuple[float, str]] | None = None
) -> AudioFile:
    """An MP3 of 10 s that ``user`` uploaded through the studio."""
    data = mp3_with_chapters(chapters or [(0, "Intro")], seconds=10)
    received = SimpleUploadedFile("episode.mp3", data, content_type="audio/mpeg")
    upload = upload_receive_file(owner=user, received=received)
    assert upload.audio is not None
    return upload.audio


def episode_form(**changes: str) -> dict[str, str]:
    data = {
        "title": "Episodio uno",
        "description": "<p>Hablamos de colas.</p>",
        "season": "1",
        "number": "1",
        "kind": "full",
        "access": "free",
        "when": "draft",
        "at": "",
        "audio_id": "",
        "current_audio": "",
    }
    data.update(changes)
    return data


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def draft(show: Show, title: str = "Borrador", **kwargs: object) -> Episode:
    return studio_episode_create(show=show, title=title, **kwargs)  # type: ignore[arg-type]


def base(show: Show) -> str:
    return f"/studio/shows/{show.pk}/episodes/"


def edit_url(episode: Episode) -> str:
    return f"/studio/shows/{episode.show_id}/episodes/{episode.pk}/"


# Create and edit -------------------------------------------------------------


def test_create_a_draft_without_audio_then_land_on_its_edit_page(
    client: Client, cast: Cast
) -> None:
    signed_in(client, cast.editor)

    response = client.post(f"{base(cast.show)}new/", episode_form())

    episode = Episode.objects.get(show=cast.show)
    assert response.status_code == 302
    assert response["Location"] == edit_url(episode)
    assert episode.status == Episode.Status.DRAFT
    assert (episode.title, episode.season, episode.number) == ("Episodio uno", 1, 1)
    assert episode.guid.startswith("urn:uuid:")
    page = client.get(edit_url(episode)).content.decode()
    assert "The episode is saved." in page
    assert "Draft" in page


def test_the_access_of_a_new_episode_defaults_to_the_shows(
    client: Client, cast: Cast
) -> None:
    Show.objects.filter(pk=cast.show.pk).update(default_access="exclusive")
    signed_in(client, cast.owner)

    page = client.get(f"{base(cast.show)}new/").content.decode()

    exclusive = re.search(
        r'<input type="radio" name="access" value="exclusive"[^>]*>', page
    )
    assert exclusive is not None and "checked" in exclusive.group(0)
    assert "Times on this page are in UTC." in page


def test_publish_now_with_own_audio(client: Client, cast: Cast) -> None:
    audio = uploaded_audio(cast.editor)
    signed_in(client, cast.editor)

    response = client.post(
        f"{base(cast.show)}new/",
        episode_form(when="now", audio_id=str(audio.pk), access="exclusive"),
    )

    assert response.status_code == 302
    episode = Episode.objects.get(show=cast.show)
    assert episode.status == Episode.Status.PUBLISHED
    assert episode.audio_id == audio.pk
    assert episode.access == "exclusive"
    assert episode.duration_seconds == pytest.approx(10, abs=0.5)
    assert episode.is_listed(now=timezone_now())


def test_schedule_at_a_time_shows_it_scheduled_in_the_list_and_dashboard(
    client: Client, cast: Cast
) -> None:
    audio = uploaded_audio(cast.owner)
    signed_in(client, cast.owner)
    at = (timezone_now() + timedelta(days=2)).replace(second=0, microsecond=0)

    client.post(
        f"{base(cast.show)}new/",
        episode_form(
            when="at", at=at.strftime("%Y-%m-%dT%H:%M"), audio_id=str(audio.pk)
        ),
    )
    draft(cast.show, "Otro borrador")

    episode = Episode.objects.get(title="Episodio uno")
    assert episode.status == Episode.Status.PUBLISHED
    assert episode.published_at == at
    assert not episode.is_listed(now=timezone_now())
    listing = client.get(base(cast.show)).content.decode()
    assert f"Comes out {at:%Y-%m-%d %H:%M}" in listing
    assert 'data-state="scheduled"><a href="?state=scheduled">Scheduled</a> (1)' in (
        listing
    )
    assert 'data-state="draft"><a href="?state=draft">Drafts</a> (1)' in listing
    dashboard = client.get("/studio/").content.decode()
    row = dashboard.split("Ondas en Vivo")[1].split("</tr>")[0]
    assert "<td>2</td>" in row  # episodes
    assert row.count("<td>1</td>") == 2  # one draft, one scheduled


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"when": "now"}, "An episode needs its audio before it can be published."),
        (
            {"when": "at", "at": "2001-01-01T10:00"},
            "Choose a publication time that is still to come.",
        ),
        ({"when": "at", "at": ""}, "Choose when the episode comes out."),
    ],
)
def test_publishing_refusals_say_why_and_create_nothing(
    client: Client, cast: Cast, changes: dict[str, str], message: str
) -> None:
    audio = uploaded_audio(cast.owner) if changes.get("at") else None
    if audio is not None:
        changes = {**changes, "audio_id": str(audio.pk)}
    signed_in(client, cast.owner)

    response = client.post(f"{base(cast.show)}new/", episode_form(**changes))

    assert response.status_code in (400, 422)
    assert message in response.content.decode()
    assert not Episode.objects.filter(show=cast.show).exists()


def test_another_users_audio_id_is_refused(client: Client, cast: Cast) -> None:
    """The episode services take any audio id; the studio takes only the
    person's own uploads (or the audio the episode already has)."""
    theirs = uploaded_audio(cast.other_creator)
    signed_in(client, cast.owner)

    created = client.post(
        f"{base(cast.show)}new/", episode_form(when="now", audio_id=str(theirs.pk))
    )
    episode = draft(cast.show)
    edited = client.post(
        edit_url(episode),
        episode_form(title="Borrador", current_audio=str(theirs.pk)),
    )

    message = "This audio is not one of your uploads: upload the file again."
    for response in (created, edited):
        assert response.status_code == 404
        assert message in response.content.decode()
    assert list(Episode.objects.filter(show=cast.show)) == [episode]
    episode.refresh_from_db()
    assert episode.audio_id is None


def test_an_editor_may_keep_the_audio_another_member_uploaded(
    client: Client, cast: Cast
) -> None:
    audio = uploaded_audio(cast.owner)
    episode = draft(cast.show, audio_id=audio.pk)
    signed_in(client, cast.editor)

    response = client.post(
        edit_url(episode),
        episode_form(title="Nuevo título", current_audio=str(audio.pk), when="now"),
    )

    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.title, episode.audio_id) == ("Nuevo título", audio.pk)
    assert episode.status == Episode.Status.PUBLISHED


def test_edit_schedules_a_draft_then_holds_it_back(client: Client, cast: Cast) -> None:
    audio = uploaded_audio(cast.owner)
    episode = draft(cast.show, "Semana", audio_id=audio.pk)
    signed_in(client, cast.owner)
    at = (timezone_now() + timedelta(hours=3)).replace(second=0, microsecond=0)
    form = episode_form(title="Semana", current_audio=str(audio.pk))

    client.post(edit_url(episode), {**form, "when": "at", "at": f"{at:%Y-%m-%dT%H:%M}"})
    episode.refresh_from_db()
    assert (episode.status, episode.published_at) == ("published", at)
    page = client.get(edit_url(episode)).content.decode()
    assert f'value="{at:%Y-%m-%dT%H:%M}"' in page  # the time stays in the form

    client.post(edit_url(episode), {**form, "when": "draft"})
    episode.refresh_from_db()
    assert episode.status == Episode.Status.UNPUBLISHED
    assert not episode.is_listed(now=at + timedelta(days=1))


def test_a_published_episode_keeps_its_publication_when_edited(
    client: Client, cast: Cast
) -> None:
    audio = uploaded_audio(cast.owner)
    episode = draft(cast.show, "Ya salió", audio_id=audio.pk, when=PublishWhen.NOW)
    published_at = episode.published_at
    signed_in(client, cast.owner)

    page = client.get(edit_url(episode)).content.decode()
    response = client.post(
        edit_url(episode),
        episode_form(title="Ya salió (corregido)", current_audio=str(audio.pk)),
    )

    assert "This episode is out. To take it back from listeners, unpublish it." in page
    assert 'name="when"' not in page
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.title == "Ya salió (corregido)"
    assert (episode.status, episode.published_at) == ("published", published_at)


@pytest.fixture
def imported(
    cast: Cast, feed_server: FeedServer, allow_loopback: None, db: None
) -> Episode:
    """An episode of a show imported from its feed, which the owner runs."""
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(2))))
    show = feed_source_import(url=url).show
    membership_grant(target=show, user=cast.owner, role=Role.OWNER)
    return Episode.objects.filter(show=show).order_by("pk").first()  # type: ignore[return-value]


def test_fields_the_feed_owns_are_refused_with_the_services_message(
    client: Client, cast: Cast, imported: Episode
) -> None:
    signed_in(client, cast.owner)
    page = client.get(edit_url(imported)).content.decode()
    form = EpisodeFormValues.of(imported)

    response = client.post(edit_url(imported), {**form, "title": "Mi título"})

    assert "whose next refresh sets these fields" in page
    assert response.status_code == 409
    assert (
        "This show is imported from its feed, and the next refresh would overwrite "
        "these fields: title. Edit them in the feed, or stop following it."
    ) in response.content.decode()
    imported.refresh_from_db()
    assert imported.title != "Mi título"


class EpisodeFormValues:
    @staticmethod
    def of(episode: Episode) -> dict[str, str]:
        """What the edit form posts for ``episode`` unchanged."""
        return {
            "title": episode.title,
            "description": episode.description,
            "season": str(episode.season or ""),
            "number": str(episode.number or ""),
            "kind": episode.kind,
            "access": episode.access,
            "audio_id": "",
            "current_audio": str(episode.audio_id or ""),
        }


# The list --------------------------------------------------------------------


def test_the_list_pages_and_filters_by_state(client: Client, cast: Cast) -> None:
    audio = uploaded_audio(cast.owner)
    for n in range(27):
        draft(cast.show, f"Borrador {n:02d}")
    draft(cast.show, "Publicado", audio_id=audio.pk, when=PublishWhen.NOW)
    signed_in(client, cast.owner)

    first = client.get(base(cast.show)).content.decode()
    second = client.get(f"{base(cast.show)}?page=2").content.decode()
    published = client.get(f"{base(cast.show)}?state=published").content.decode()

    assert first.count("data-episode=") == 25
    assert second.count("data-episode=") == 3
    assert "Page 2 of 2" in second
    assert "All</a> (28)" in first
    assert published.count("data-episode=") == 1 and "Publicado" in published


def test_deleted_episodes_leave_the_studio(client: Client, cast: Cast) -> None:
    episode = draft(cast.show)
    signed_in(client, cast.owner)
    client.post(f"{edit_url(episode)}delete/")

    assert "data-episode=" not in client.get(base(cast.show)).content.decode()
    assert client.get(edit_url(episode)).status_code == 404


# Chapters --------------------------------------------------------------------


def chapter_post(
    rows: list[tuple[str, str, str]], op: str = "save"
) -> dict[str, object]:
    return {
        "chapter_start": [r[0] for r in rows],
        "chapter_title": [r[1] for r in rows],
        "chapter_url": [r[2] for r in rows],
        "op": op,
    }


def test_chapters_typed_three_ways_are_saved_in_order(
    client: Client, cast: Cast
) -> None:
    episode = draft(cast.show, audio_id=uploaded_audio(cast.owner).pk)
    signed_in(client, cast.editor)
    rows = [
        ("0:07", "Cierre", ""),
        ("0", "Intro", "https://example.com/intro"),
        ("", "", ""),
        ("5", "Tema", ""),
    ]

    response = client.post(f"{edit_url(episode)}chapters/", chapter_post(rows))

    assert response.status_code == 302
    assert response["Location"] == f"{edit_url(episode)}#chapters"
    saved = list(
        Chapter.objects.filter(episode=episode)
        .order_by("start_seconds")
        .values_list("start_seconds", "title", "url")
    )
    assert saved == [
        (0.0, "Intro", "https://example.com/intro"),
        (5.0, "Tema", ""),
        (7.0, "Cierre", ""),
    ]
    page = client.get(edit_url(episode)).content.decode()
    assert 'value="0:05"' in page and 'value="Tema"' in page


def test_long_starts_as_clock_times(client: Client, cast: Cast) -> None:
    episode = draft(cast.show)  # no audio: the end is not checked
    signed_in(client, cast.owner)

    client.post(
        f"{edit_url(episode)}chapters/",
        chapter_post([("1:02:03", "Una hora", ""), ("62:04", "Y un segundo", "")]),
    )

    starts = Chapter.objects.filter(episode=episode).values_list(
        "start_seconds", flat=True
    )
    assert sorted(starts) == [3723.0, 3724.0]


def test_bad_rows_are_marked_each_and_nothing_is_stored(
    client: Client, cast: Cast
) -> None:
    episode = draft(cast.show, audio_id=uploaded_audio(cast.owner).pk)
    Chapter.objects.create(episode=episode, start_seconds=0, title="Antes")
    signed_in(client, cast.owner)
    rows = [
        ("0", "Bien", ""),
        ("1:75", "Mal", ""),
        ("0:30", "Pasado el final", ""),
        ("0:02", "", "ftp://example.com"),
    ]

    response = client.post(f"{edit_url(episode)}chapters/", chapter_post(rows))

    page = response.content.decode()
    assert response.status_code == 422
    assert "Some chapters need fixing." in page
    assert 'id="chapter-row-errors-0"' not in page
    row1 = page.split('id="chapter-row-errors-1"')[1].split("</ul>")[0]
    assert "“1:75” is not a time: write 1:02:03, 62:03 or 3723." in row1
    row2 = page.split('id="chapter-row-errors-2"')[1].split("</ul>")[0]
    assert "0:30 is past the end of the audio (0:10)." in row2
    row3 = page.split('id="chapter-row-errors-3"')[1].split("</ul>")[0]
    assert "Give the chapter a title." in row3
    assert "Enter a web address that starts with https://." in row3
    assert 'value="Pasado el final"' in page  # what was typed stays
    assert list(Chapter.objects.filter(episode=episode).values_list("title")) == [
        ("Antes",)
    ]


@pytest.mark.parametrize(
    ("op", "titles"),
    [
        ("add", ["A", "B", "C", ""]),
        ("remove:1", ["A", "C"]),
        ("up:2", ["A", "C", "B"]),
        ("down:0", ["B", "A", "C"]),
        ("up:0", ["A", "B", "C"]),
    ],
)
def test_rows_are_added_removed_and_moved_without_javascript(
    client: Client, cast: Cast, op: str, titles: list[str]
) -> None:
    episode = draft(cast.show)
    signed_in(client, cast.owner)
    rows = [("0", "A", ""), ("1", "B", ""), ("2", "C", "")]

    response = client.post(f"{edit_url(episode)}chapters/", chapter_post(rows, op))

    assert response.status_code == 200
    page = response.content.decode()
    shown = [
        part.split('"')[0] for part in page.split('name="chapter_title" value="')[1:]
    ]
    assert shown == titles
    assert not Chapter.objects.filter(episode=episode).exists()


def test_the_editor_starts_from_the_id3_chapters_of_the_audio(
    client: Client, cast: Cast
) -> None:
    audio = uploaded_audio(cast.owner, [(0, "Hola"), (4, "Noticias")])
    episode = draft(cast.show, audio_id=audio.pk)
    signed_in(client, cast.owner)

    page = client.get(edit_url(episode)).content.decode()

    assert 'value="0:00"' in page and 'value="Hola"' in page
    assert 'value="0:04"' in page and 'value="Noticias"' in page
    assert f'src="{edit_url(episode)}audio/"' in page
    assert "data-chapter-now" in page


def test_the_editor_starts_from_the_descriptions_timestamps(
    client: Client, cast: Cast
) -> None:
    episode = draft(
        cast.show,
        description="<p>00:00 Bienvenida</p><p>12:30 Preguntas</p><p>25:00 Fin</p>",
    )
    signed_in(client, cast.owner)

    page = client.get(edit_url(episode)).content.decode()

    assert 'value="12:30"' in page and 'value="Preguntas"' in page


def test_the_editors_player_plays_a_drafts_audio_to_members_only(
    client: Client, cast: Cast
) -> None:
    audio = uploaded_audio(cast.owner)
    episode = draft(cast.show, audio_id=audio.pk)

    mine = signed_in(client, cast.editor).get(f"{edit_url(episode)}audio/")
    body = b"".join(mine.streaming_content)  # type: ignore[attr-defined]
    theirs = Client()
    theirs.force_login(cast.analyst)

    assert mine.status_code == 200 and mine["Content-Type"] == "audio/mpeg"
    assert body == audio.file.open("rb").read()
    assert theirs.get(f"{edit_url(episode)}audio/").status_code == 404


# Transcripts -----------------------------------------------------------------


def test_a_webvtt_transcript_is_stored_listed_and_removed(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    episode = draft(cast.show)
    signed_in(client, cast.owner)

    response = client.post(
        f"{edit_url(episode)}transcripts/",
        {"file": SimpleUploadedFile("t.vtt", VTT), "language": "es"},
    )

    assert response.status_code == 302
    transcript = Transcript.objects.get(episode=episode)
    assert (transcript.mime_type, transcript.language) == ("text/vtt", "es")
    page = client.get(edit_url(episode)).content.decode()
    assert "WebVTT · es" in page
    name = transcript.file.name
    storage = transcript.file.storage

    with_removal = f"{edit_url(episode)}transcripts/{transcript.pk}/remove/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(with_removal)

    assert response.status_code == 302
    assert not Transcript.objects.filter(episode=episode).exists()
    assert "This episode has no transcript yet." in (
        client.get(edit_url(episode)).content.decode()
    )
    assert not storage.exists(name)


def test_an_srt_transcript_is_taken_too(client: Client, cast: Cast) -> None:
    episode = draft(cast.show)
    signed_in(client, cast.owner)
    srt = b"1\n00:00:00,000 --> 00:00:02,000\nHola.\n"

    client.post(
        f"{edit_url(episode)}transcripts/",
        {"file": SimpleUploadedFile("t.srt", srt)},
    )

    assert Transcript.objects.get(episode=episode).mime_type == "application/x-subrip"


def test_a_bad_transcript_is_refused_with_the_readers_message(
    client: Client, cast: Cast
) -> None:
    episode = draft(cast.show)
    signed_in(client, cast.owner)
    bad = b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nAl reves.\n"

    response = client.post(
        f"{edit_url(episode)}transcripts/", {"file": SimpleUploadedFile("t.vtt", bad)}
    )

    assert response.status_code == 422
    assert "The transcript could not be read at line 3:" in response.content.decode()
    assert not Transcript.objects.exists()


# Unpublish and delete --------------------------------------------------------


def test_unpublish_asks_first_saying_what_listeners_lose(
    client: Client, cast: Cast
) -> None:
    audio = uploaded_audio(cast.owner)
    episode = draft(cast.show, "En el aire", audio_id=audio.pk, when=PublishWhen.NOW)
    signed_in(client, cast.owner)

    confirm = client.get(f"{edit_url(episode)}unpublish/").content.decode()
    episode.refresh_from_db()
    assert episode.status == Episode.Status.PUBLISHED

    response = client.post(f"{edit_url(episode)}unpublish/")

    assert "Unpublish “En el aire”?" in confirm
    assert "It leaves the public RSS feed" in confirm
    assert "0 people follow the show." in confirm
    assert "0 listeners are part-way through it and cannot finish it." in confirm
    assert "you can publish it again" in confirm
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == Episode.Status.UNPUBLISHED
    assert episode.audio_id == audio.pk


def test_unpublishing_a_draft_is_refused(client: Client, cast: Cast) -> None:
    episode = draft(cast.show)
    signed_in(client, cast.owner)

    response = client.post(f"{edit_url(episode)}unpublish/")

    assert response.status_code == 409
    episode.refresh_from_db()
    assert episode.status == Episode.Status.DRAFT


def test_delete_asks_first_then_retires_the_guid(client: Client, cast: Cast) -> None:
    audio = uploaded_audio(cast.owner)
    episode = draft(cast.show, "Adiós", audio_id=audio.pk, when=PublishWhen.NOW)
    signed_in(client, cast.owner)

    confirm = client.get(f"{edit_url(episode)}delete/").content.decode()
    response = client.post(f"{edit_url(episode)}delete/")

    assert "Delete “Adiós”?" in confirm
    assert "stays in listeners' history as “no longer available”" in confirm
    assert "its GUID is never used again" in confirm
    assert "Its audio file is removed too." in confirm
    assert response.status_code == 302
    assert response["Location"] == base(cast.show)
    episode.refresh_from_db()
    assert episode.status == Episode.Status.DELETED
    assert EpisodeGuidTombstone.objects.filter(
        show=cast.show, guid=episode.guid
    ).exists()
    assert not AudioFile.objects.filter(pk=audio.pk).exists()


# Spanish ---------------------------------------------------------------------


def test_the_episode_pages_speak_spanish(
    client: Client, cast: Cast, settings: Settings
) -> None:
    """The storefront's default language: every new string has its Spanish."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    audio = uploaded_audio(cast.owner)
    episode = draft(cast.show, "Uno", audio_id=audio.pk, when=PublishWhen.NOW)
    Transcript.objects.create(
        episode=episode, url="https://example.com/t.vtt", mime_type="text/vtt"
    )
    signed_in(client, cast.owner)

    pages = {
        "list": client.get(base(cast.show)).content.decode(),
        "new": client.get(f"{base(cast.show)}new/").content.decode(),
        "edit": client.get(edit_url(episode)).content.decode(),
        "unpublish": client.get(f"{edit_url(episode)}unpublish/").content.decode(),
        "delete": client.get(f"{edit_url(episode)}delete/").content.decode(),
    }

    assert "Episodios de «Ondas en Vivo»" in pages["list"]
    assert "Borradores" in pages["list"]
    assert "Guardar como borrador" in pages["new"]
    assert "Capítulos" in pages["edit"] and "Transcripción" in pages["edit"]
    assert "Qué pierden los oyentes" in pages["unpublish"]
    assert "nunca se vuelve a usar" in pages["delete"]
    english = [
        "Episodes of",
        "Keep as a draft",
        "Save the chapters",
        "What listeners lose",
        "Upload the transcript",
        "Times on this page are in",
        "Add a chapter",
    ]
    for name, page in pages.items():
        for text in english:
            assert text not in page, (name, text)


def _dashboard_counts(client: Client) -> list[str]:
    row = client.get("/studio/").content.decode().split("Ondas en Vivo")[1]
    return re.findall(r"<td>(\d+)</td>", row.split("</tr>")[0])


def test_the_dashboard_counts_follow_every_write_and_the_clock(
    client: Client, cast: Cast, settings: Settings
) -> None:
    """The counts are kept in the cache under the show's content stamp: a new
    draft, a deletion and a scheduled episode coming out by the clock alone
    each show at once, and a second look reads no episode."""
    signed_in(client, cast.owner)
    at = timezone_now() + timedelta(hours=2)
    episode = draft(cast.show, "Programado")
    assert _dashboard_counts(client) == ["1", "1", "0"]  # episodes, drafts, scheduled
    with CaptureQueriesContext(connection) as again:
        assert _dashboard_counts(client) == ["1", "1", "0"]
    assert not [q for q in again.captured_queries if "catalog_episode" in q["sql"]]
    draft(cast.show, "Otro")
    assert _dashboard_counts(client) == ["2", "2", "0"]
    episode.status = Episode.Status.PUBLISHED
    episode.published_at = at
    episode.save()
    assert _dashboard_counts(client) == ["2", "1", "1"]
    settings.ONDAS_CLOCK_SHIFT = timedelta(hours=3)
    assert _dashboard_counts(client) == ["2", "1", "0"]
