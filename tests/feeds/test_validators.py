"""A validator never outlives a change, and reading one costs O(1).

Every kind of write that changes what the public feed, a private feed or a
chapters file shows must change their ETags (``catalog.versioning`` bumps the
show's content version in the same transaction); writes a feed does not show
must leave them alone; and a 304 reads the show's row, never its episodes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import (
    AudioFile,
    Category,
    Chapter,
    Episode,
    FeedPerson,
    FeedProfile,
    Show,
    ShowCategory,
    Transcript,
)
from ondas.catalog.services import (
    EpisodeInput,
    PersonInput,
    TranscriptInput,
    audio_file_create,
    episode_chapters_replace,
    episode_create,
    episode_transcripts_replace,
    episode_update_from_feed,
    episodes_create_many,
    feed_persons_replace,
    feed_profile_save,
    show_create,
    show_update_from_feed,
)
from ondas.catalog.services.authored import (
    PublishWhen,
    studio_episode_create,
    studio_episode_update,
)
from ondas.catalog.services.chapter_editor import ChapterRow, episode_chapters_edit
from ondas.catalog.services.lifecycle import (
    episode_delete,
    episode_publish,
    episode_unpublish,
)
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.ingest.models import FeedSource, RemoteEpisode
from tests.accounts.factories import user_make
from tests.support.feeds import tiny_mp3
from tests.support.private_feeds import exclusive_plan_make, key_make, subscribe

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Urls:
    public: str
    private: str
    chapters: str


@pytest.fixture
def imported_show(small_show: Show) -> Show:
    """The small show, its audioless episode given a publisher's enclosure."""
    source = FeedSource.objects.create(
        show=small_show,
        url="https://publisher.example.com/feed.xml",
        next_refresh_at=NOW,
        remote_image_url="https://publisher.example.com/art.png",
    )
    RemoteEpisode.objects.create(
        episode=Episode.objects.get(guid="small-4"),
        source=source,
        enclosure_url="https://cdn.example.com/4.mp3",
        enclosure_length=1234,
        item_sha256="x",
        last_seen_at=NOW,
    )
    return small_show


@pytest.fixture
def urls(imported_show: Show) -> Urls:
    listener: User = user_make(email="oyente@example.com")
    subscribe(listener, exclusive_plan_make())
    _key, token = key_make(listener, imported_show)
    return Urls(
        public=reverse("feeds:show-feed", args=[imported_show.slug]),
        private=reverse("feeds:private-feed", args=[token, imported_show.slug]),
        chapters=reverse(
            "feeds:episode-chapters", args=[imported_show.slug, "capitulo-1-y-mas"]
        ),
    )


def _etags(client: Client, urls: Urls) -> tuple[str, str, str]:
    answers = [client.get(url) for url in (urls.public, urls.private, urls.chapters)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    return (answers[0]["ETag"], answers[1]["ETag"], answers[2]["ETag"])


def _episode(guid: str = "small-1") -> Episode:
    return Episode.objects.get(guid=guid)


def _source(show: Show) -> FeedSource:
    return FeedSource.objects.get(show=show)


def _new_audio() -> AudioFile:
    return audio_file_create(
        name="other.mp3",
        content=io.BytesIO(tiny_mp3(3)),
        mime_type="audio/mpeg",
        duration_seconds=3.0,
    )


def _rename(episode: Episode) -> None:
    episode.title = "Renamed"
    episode.save(update_fields=["title", "updated_at"])


def _feed_input(episode: Episode) -> EpisodeInput:
    return EpisodeInput(
        guid=episode.guid,
        title="From the feed",
        slug=episode.slug,
        description=episode.description,
        published_at=None,
        duration_seconds=episode.duration_seconds,
        persons=(PersonInput(name="Guest"),),
    )


def _other_episode() -> Episode:
    other = show_create(title="Otro", author="Otra", language="es")
    return episode_create(show=other, guid="o-1", title="Uno", published_at=NOW)


def _admin_change_profile(show: Show, client: Client) -> None:
    profile = FeedProfile.objects.get(show=show)
    url = reverse("admin:catalog_feedprofile_change", args=[profile.pk])
    answer = client.post(
        url,
        {
            "show": show.pk,
            "owner_name": "Someone Else",
            "owner_email": "ana@example.com",
            "locked": "on",
            "funding_url": "https://ex.com/apoya",
            "funding_text": "Apoya el show",
            "copyright": "",
        },
    )
    assert answer.status_code == 302, answer.content


def _admin_change_person(show: Show, client: Client) -> None:
    person = FeedPerson.objects.get(show=show, episode=None)
    url = reverse("admin:catalog_feedperson_change", args=[person.pk])
    answer = client.post(
        url,
        {
            "show": show.pk,
            "episode": "",
            "name": "Ana P.",
            "role": "host",
            "group": "cast",
            "href": "",
            "img": "",
            "position": 0,
        },
    )
    assert answer.status_code == 302, answer.content


Write = Callable[[Show, Client], object]

# Every kind of write a feed shows: services, model saves, queryset writes in
# bulk, relations, the admin, and the clock reaching a scheduled episode.
CHANGES: dict[str, Write] = {
    "show fields by the import service": lambda show, _c: show_update_from_feed(
        show=show,
        title="New title",
        author=show.author,
        description=show.description,
        explicit=show.explicit,
        kind=show.kind,
        language=show.language,
    ),
    "show saved whole": lambda show, _c: (
        setattr(show, "author", "Otra"),
        show.save(),
    ),
    "show updated in bulk": lambda show, _c: Show.objects.filter(pk=show.pk).update(
        explicit=False
    ),
    "episode created": lambda show, _c: episode_create(
        show=show,
        guid="new",
        title="New",
        published_at=NOW,
        audio=AudioFile.objects.first(),
    ),
    "episodes created in bulk": lambda show, _c: episodes_create_many(
        show=show,
        inputs=[
            EpisodeInput(
                guid="bulk", title="Bulk", slug="bulk", description="", published_at=NOW
            )
        ],
    ),
    "episode renamed": lambda _s, _c: _rename(_episode()),
    "episode updated from its feed item": lambda _s, _c: episode_update_from_feed(
        episode=_episode(), item=_feed_input(_episode())
    ),
    "episodes updated in bulk": lambda show, _c: Episode.objects.filter(
        show=show
    ).update(season=2),
    "episodes bulk_update": lambda _s, _c: Episode.objects.bulk_update(
        [Episode(pk=_episode().pk, number=99)], ["number"]
    ),
    "exclusive episode renamed": lambda _s, _c: _rename(_episode("small-3")),
    "episode made exclusive": lambda _s, _c: Episode.objects.filter(
        guid="small-2"
    ).update(access=Episode.Access.EXCLUSIVE),
    "episode moved to later": lambda _s, _c: Episode.objects.filter(
        guid="small-2"
    ).update(published_at=datetime(2998, 1, 1, tzinfo=UTC)),
    "episode deleted": lambda _s, _c: _episode("small-2").delete(),
    "episodes deleted in bulk": lambda _s, _c: Episode.objects.filter(
        guid="small-2"
    ).delete(),
    "episode given other audio": lambda _s, _c: Episode.objects.filter(
        guid="small-2"
    ).update(audio=_new_audio()),
    "audio file saved": lambda _s, _c: (
        (audio := _episode().audio) is not None
        and (setattr(audio, "mime_type", "audio/mp4"), audio.save())
    ),
    "audio files updated in bulk": lambda _s, _c: AudioFile.objects.filter(
        pk=_episode().audio_id
    ).update(size=1),
    "chapters replaced": lambda _s, _c: episode_chapters_replace(
        episode=_episode(), chapters=[ChapterInput(0.0, "Only")]
    ),
    "chapter renamed in place": lambda _s, _c: Chapter.objects.filter(
        episode__guid="small-1", start_seconds=0.0
    ).update(title="Hello"),
    "chapter saved": lambda _s, _c: (
        (chapter := Chapter.objects.filter(episode__guid="small-1").first()) is not None
        and (setattr(chapter, "url", "https://ex.com/x"), chapter.save())
    ),
    "chapter deleted": lambda _s, _c: (
        Chapter.objects.filter(episode__guid="small-1").first().delete()
    ),  # type: ignore[union-attr]
    "chapter added through its episode": lambda _s, _c: _episode().chapters.create(
        start_seconds=5.0, title="Five"
    ),
    "category added": lambda show, _c: show.categories.add(
        Category.objects.get(parent=None, name="Comedy")
    ),
    "categories set": lambda show, _c: show.categories.set(
        [Category.objects.get(parent=None, name="History")]
    ),
    "category removed": lambda show, _c: show.categories.remove(
        Category.objects.get(parent=None, name="Technology")
    ),
    "categories reordered": lambda show, _c: ShowCategory.objects.filter(
        show=show, position=1
    ).update(position=5),
    "category renamed": lambda _s, _c: Category.objects.filter(
        parent=None, name="Technology"
    ).update(name="Tech"),
    "parent category renamed": lambda _s, _c: (
        (news := Category.objects.get(parent=None, name="News")),
        setattr(news, "name", "Noticias"),
        news.save(),
    ),
    "profile saved by the service": lambda show, _c: feed_profile_save(
        show=show,
        owner_name="Ana",
        owner_email="ana@example.com",
        locked=False,
        funding_url="",
        funding_text="",
        copyright="© Ana",
    ),
    "profile changed in the admin": _admin_change_profile,
    "profile deleted": lambda show, _c: FeedProfile.objects.filter(show=show).delete(),
    "show's people replaced": lambda show, _c: feed_persons_replace(
        show=show, episode=None, persons=[PersonInput(name="Luis")]
    ),
    "episode's person added": lambda show, _c: FeedPerson.objects.create(
        show=show, episode=_episode(), name="Invitada", role="guest"
    ),
    "person changed in the admin": _admin_change_person,
    "people updated in bulk": lambda show, _c: FeedPerson.objects.filter(
        show=show
    ).update(img="https://ex.com/p.png"),
    "publisher's enclosure changed": lambda _s, _c: (
        (remote := RemoteEpisode.objects.get(episode__guid="small-4")),
        setattr(remote, "enclosure_url", "https://cdn.example.com/4b.mp3"),
        remote.save(),
    ),
    "publisher's enclosures updated in bulk": lambda _s, _c: (
        RemoteEpisode.objects.update(enclosure_length=99)
    ),
    "publisher's transcript added": lambda _s, _c: Transcript.objects.create(
        episode=_episode("small-4"), url="https://cdn.example.com/4.vtt"
    ),
    "transcripts replaced": lambda _s, _c: episode_transcripts_replace(
        episode=_episode(),
        transcripts=[TranscriptInput("https://ex.com/1.vtt", "text/vtt", "es")],
    ),
    "remote episode removed": lambda _s, _c: RemoteEpisode.objects.all().delete(),
    "publisher's artwork changed": lambda show, _c: (
        (source := _source(show)),
        setattr(source, "remote_image_url", "https://publisher.example.com/b.png"),
        source.save(),
    ),
    "feed source deleted": lambda show, _c: _source(show).delete(),
    # The studio's writes (issue 13).
    "episode published by the studio": lambda show, _c: studio_episode_create(
        show=show,
        title="Del estudio",
        audio_id=_new_audio().pk,
        when=PublishWhen.NOW,
    ),
    "episode edited in the studio": lambda _s, _c: studio_episode_update(
        episode=_episode("small-2"),
        title="Editado",
        description="",
        season=None,
        number=None,
        kind=Episode.Kind.BONUS,
        access=Episode.Access.FREE,
        audio_id=_episode("small-2").audio_id,
    ),
    "chapters edited in the studio": lambda _s, _c: episode_chapters_edit(
        episode=_episode(), rows=[ChapterRow("0:00", "Uno"), ChapterRow("0:01", "Dos")]
    ),
    "transcript uploaded in the studio": lambda _s, _c: episode_transcript_upload(
        episode=_episode(),
        name="es.vtt",
        data=b"WEBVTT\n\n00:00.000 --> 00:01.000\nHola\n",
    ),
    "episode unpublished": lambda _s, _c: episode_unpublish(
        episode=_episode("small-2")
    ),
    "episode deleted in the studio": lambda _s, _c: episode_delete(
        episode=_episode("small-2")
    ),
}


# Writes whose episode must exist (unseen) before the first validators are read.
STUDIO_LATER: dict[
    str, tuple[Callable[[Show], Episode], Callable[[Episode], object]]
] = {
    "draft published": (
        lambda show: studio_episode_create(
            show=show, title="Borrador", audio_id=_new_audio().pk
        ),
        lambda episode: episode_publish(episode=episode),
    ),
    "draft scheduled": (
        lambda show: studio_episode_create(
            show=show, title="Borrador", audio_id=_new_audio().pk
        ),
        lambda episode: episode_publish(
            episode=episode, at=datetime.now(tz=UTC) + timedelta(days=1)
        ),
    ),
    "unpublished episode published again": (
        lambda show: episode_unpublish(
            episode=episode_publish(
                episode=studio_episode_create(
                    show=show, title="Vuelve", audio_id=_new_audio().pk
                )
            )
        ),
        lambda episode: episode_publish(episode=episode),
    ),
}


@pytest.mark.parametrize("write", list(STUDIO_LATER), ids=list(STUDIO_LATER))
def test_every_lifecycle_move_changes_the_validators(
    write: str, urls: Urls, imported_show: Show
) -> None:
    make, move = STUDIO_LATER[write]
    episode = make(Show.objects.get(pk=imported_show.pk))
    client = Client()
    before = _etags(client, urls)

    move(episode)

    after = _etags(client, urls)
    assert all(new != old for old, new in zip(before, after, strict=True)), write


@pytest.mark.parametrize("write", list(CHANGES), ids=list(CHANGES))
def test_every_write_a_feed_shows_changes_its_validators(
    write: str, admin_client: Client, urls: Urls, imported_show: Show
) -> None:
    client = Client()
    before = _etags(client, urls)
    show = Show.objects.get(pk=imported_show.pk)

    CHANGES[write](show, admin_client)

    after = _etags(client, urls)
    for name, old, new in zip(
        ("public feed", "private feed", "chapters"), before, after, strict=True
    ):
        assert new != old, f"{write}: the {name}'s ETag outlived the change"
    # A client holding the old copy is sent the new one.
    assert client.get(urls.public, HTTP_IF_NONE_MATCH=before[0]).status_code == 200


def test_a_scheduled_episode_changes_the_validators_when_it_comes_out(
    settings: Settings, urls: Urls, small_show: Show
) -> None:
    client = Client()
    before = _etags(client, urls)
    assert b"small-future" not in client.get(urls.public).getvalue()

    settings.ONDAS_CLOCK_SHIFT = datetime(2999, 1, 2, tzinfo=UTC) - datetime.now(tz=UTC)

    after = _etags(client, urls)
    assert all(new != old for old, new in zip(before, after, strict=True))
    assert b"small-future" in client.get(urls.public).getvalue()
    assert client.get(urls.public, HTTP_IF_NONE_MATCH=after[0]).status_code == 304


NO_CHANGE: dict[str, Write] = {
    "refresh schedule saved": lambda show, _c: (
        (source := _source(show)),
        setattr(source, "next_refresh_at", NOW + timedelta(hours=1)),
        setattr(source, "failure_count", 3),
        source.save(),
    ),
    "remote episodes seen again": lambda _s, _c: RemoteEpisode.objects.update(
        last_seen_at=NOW + timedelta(hours=1), missing_since=None
    ),
    "another show's episode renamed": lambda _s, _c: _rename(_other_episode()),
    "the same transcripts again": lambda _s, _c: episode_transcripts_replace(
        episode=_episode(), transcripts=[]
    ),
}


@pytest.mark.parametrize("write", list(NO_CHANGE), ids=list(NO_CHANGE))
def test_writes_no_feed_shows_keep_its_validators(
    write: str, admin_client: Client, urls: Urls, imported_show: Show
) -> None:
    client = Client()
    before = _etags(client, urls)

    NO_CHANGE[write](Show.objects.get(pk=imported_show.pk), admin_client)

    assert _etags(client, urls) == before
    assert client.get(urls.public, HTTP_IF_NONE_MATCH=before[0]).status_code == 304


def _queries_of_304(client: Client, url: str, etag: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    return [q["sql"] for q in queries.captured_queries]


def test_a_304_reads_the_show_row_alone_however_many_episodes(
    small_show: Show,
) -> None:
    client = Client()
    url = reverse("feeds:show-feed", args=[small_show.slug])
    chapters = reverse(
        "feeds:episode-chapters", args=[small_show.slug, "capitulo-1-y-mas"]
    )
    etag, chapters_etag = client.get(url)["ETag"], client.get(chapters)["ETag"]
    few = _queries_of_304(client, url, etag)
    few_chapters = _queries_of_304(client, chapters, chapters_etag)

    episodes_create_many(
        show=small_show,
        inputs=[
            EpisodeInput(
                guid=f"more-{n}",
                title=f"More {n}",
                slug=f"more-{n}",
                description="",
                published_at=NOW - timedelta(days=n),
            )
            for n in range(300)
        ],
    )
    etag, chapters_etag = client.get(url)["ETag"], client.get(chapters)["ETag"]
    many = _queries_of_304(client, url, etag)

    assert len(many) == len(few) == 1
    assert len(_queries_of_304(client, chapters, chapters_etag)) == len(few_chapters)
    assert len(few_chapters) == 1
    for sql in many + few_chapters:
        assert "COUNT(" not in sql and "MAX(" not in sql and "SUM(" not in sql
        assert '"catalog_chapter"' not in sql and '"catalog_feedperson"' not in sql


def test_a_private_feed_304_asks_nothing_of_the_episodes(
    urls: Urls, imported_show: Show
) -> None:
    client = Client()
    etag = client.get(urls.private)["ETag"]
    for sql in _queries_of_304(client, urls.private, etag):
        assert '"catalog_episode"' not in sql and '"catalog_chapter"' not in sql


def test_a_deleted_show_recreated_at_the_same_id_gets_new_validators(
    client: Client, small_show: Show
) -> None:
    url = reverse("feeds:show-feed", args=[small_show.slug])
    etag = client.get(url)["ETag"]
    pk, slug = small_show.pk, small_show.slug
    small_show.delete()
    Show.objects.create(pk=pk, slug=slug, title="Otra", author="Otro", language="es")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_bump_is_rolled_back_with_its_write(small_show: Show) -> None:
    version = Show.objects.get(pk=small_show.pk).content_version
    with pytest.raises(RuntimeError), transaction.atomic():
        _rename(_episode())
        assert Show.objects.get(pk=small_show.pk).content_version > version
        raise RuntimeError
    assert Show.objects.get(pk=small_show.pk).content_version == version


def test_a_show_saved_from_a_stale_copy_never_moves_its_version_back(
    small_show: Show,
) -> None:
    stale = Show.objects.get(pk=small_show.pk)
    _rename(_episode())
    _rename(_episode("small-2"))
    newer = Show.objects.get(pk=small_show.pk).content_version
    stale.title = "Stale copy"
    stale.save()
    assert Show.objects.get(pk=small_show.pk).content_version > newer
    assert stale.content_version == Show.objects.get(pk=small_show.pk).content_version
