"""Importing a show from a feed served on 127.0.0.1."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from django.utils import translation
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from ondas.catalog.models import Episode, FeedPerson, FeedProfile, Show
from ondas.core.errors import ErrorCode
from ondas.ingest.errors import (
    FeedAddressRefused,
    FeedAlreadyImported,
    FeedEmpty,
    FeedLocked,
    FeedNoAudio,
)
from ondas.ingest.models import FeedRefresh, RemoteEpisode
from ondas.ingest.services.imports import feed_source_import
from ondas.ops.cli import main
from tests.ingest.factories import FakeItem, fake_items, rss
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]


def test_feed_source_import_creates_show_episodes_and_enclosures(
    feed_server: FeedServer,
) -> None:
    items = fake_items(3)
    items[1] = replace(items[1], psc=[("0", "Start"), ("00:05:00", "Five")])
    items[2] = replace(items[2], description="<p>0:00 Hi 1:00 Bye</p>")
    url = feed_server.serve("/feed.xml", Reply(rss(items), etag='"abc"'))

    source = feed_source_import(url=url)

    show = source.show
    assert (show.title, show.author, show.language) == (
        "Chaos Radio",
        "Chaos Crew",
        "en-us",
    )
    assert [c.name for c in show.categories.all()] == ["Technology"]
    assert source.etag == '"abc"'
    assert source.remote_image_url == "https://chaos.example.com/art.png"
    episodes = {e.guid: e for e in Episode.objects.filter(show=show)}
    assert sorted(episodes) == ["ep-00000", "ep-00001", "ep-00002"]
    first = episodes["ep-00000"]
    assert (first.title, first.slug, first.duration_seconds) == (
        "Episode 0",
        "episode-0",
        600,
    )
    assert first.access == Episode.Access.FREE and first.audio is None
    remote = RemoteEpisode.objects.get(episode=first)
    assert (remote.enclosure_url, remote.enclosure_length) == (
        "https://cdn.example.com/audio/ep-00000.mp3",
        1_000_000,
    )
    assert list(
        episodes["ep-00001"].chapters.values_list("start_seconds", "title")
    ) == [
        (0.0, "Start"),
        (300.0, "Five"),
    ]
    assert RemoteEpisode.objects.get(episode__guid="ep-00001").chapters_origin == "psc"
    assert list(episodes["ep-00002"].chapters.values_list("title", flat=True)) == [
        "Hi",
        "Bye",
    ]
    audit = FeedRefresh.objects.get(source=source)
    assert (audit.trigger, audit.outcome, audit.added, audit.items_in_feed) == (
        "import",
        "applied",
        3,
        3,
    )
    assert FeedProfile.objects.get(show=show).owner_email == "owner@example.com"


def test_feed_source_import_fetches_json_chapters_in_the_background(
    feed_server: FeedServer,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    chapters = {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0, "title": "JSON one"},
            {"startTime": 30.5, "title": "JSON two"},
        ],
    }
    chapters_url = feed_server.serve("/ch.json", Reply(json.dumps(chapters).encode()))
    item = replace(fake_items(1)[0], chapters_url=chapters_url, psc=[("0", "Podlove")])
    url = feed_server.serve("/feed.xml", Reply(rss([item])))

    with django_capture_on_commit_callbacks(execute=True):
        source = feed_source_import(url=url)

    episode = Episode.objects.get(show=source.show)
    assert list(episode.chapters.values_list("start_seconds", "title")) == [
        (0.0, "JSON one"),
        (30.5, "JSON two"),
    ]
    assert RemoteEpisode.objects.get(episode=episode).chapters_origin == "json"


def test_feed_source_import_keeps_podlove_chapters_when_json_is_bad(
    feed_server: FeedServer,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    chapters_url = feed_server.serve("/ch.json", Reply(b"<html>nope</html>"))
    item = replace(fake_items(1)[0], chapters_url=chapters_url, psc=[("0", "Podlove")])
    url = feed_server.serve("/feed.xml", Reply(rss([item])))
    with django_capture_on_commit_callbacks(execute=True):
        source = feed_source_import(url=url)
    episode = Episode.objects.get(show=source.show)
    assert list(episode.chapters.values_list("title", flat=True)) == ["Podlove"]


def test_feed_source_import_refuses_a_locked_feed(feed_server: FeedServer) -> None:
    url = feed_server.serve(
        "/feed.xml",
        Reply(rss(fake_items(2), locked="yes", locked_owner="boss@example.com")),
    )
    with pytest.raises(FeedLocked) as exc_info:
        feed_source_import(url=url, owner_email="someone@example.com")
    assert exc_info.value.code == ErrorCode.FEED_LOCKED
    assert Show.objects.count() == 0


def test_feed_source_import_locked_feed_with_the_owners_email(
    feed_server: FeedServer,
) -> None:
    url = feed_server.serve(
        "/feed.xml",
        Reply(rss(fake_items(2), locked="yes", locked_owner="boss@example.com")),
    )
    source = feed_source_import(url=url, owner_email="Boss@Example.com")
    assert source.show.episodes.count() == 2
    assert FeedProfile.objects.get(show=source.show).locked is True


def test_feed_source_import_unlocked_feed_needs_no_proof(
    feed_server: FeedServer,
) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(1), locked="no")))
    assert feed_source_import(url=url).show.episodes.count() == 1


def test_feed_source_import_twice_is_refused(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(1))))
    source = feed_source_import(url=url)
    with pytest.raises(FeedAlreadyImported) as exc_info:
        feed_source_import(url=url)
    assert exc_info.value.data["show_slug"] == source.show.slug


def test_feed_source_import_empty_feed_is_refused(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss([])))
    with pytest.raises(FeedEmpty):
        feed_source_import(url=url)
    assert Show.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "The feed has 2 items, but none has audio: no enclosure with an http "
            "or https address, so there is no episode to import.",
        ),
        (
            "es",
            "El feed tiene 2 elementos, pero ninguno tiene audio: ningún adjunto "
            "con una dirección http o https, así que no hay episodio que importar.",
        ),
    ],
)
def test_feed_source_import_of_items_without_audio_says_so(
    feed_server: FeedServer, language: str, message: str
) -> None:
    """A feed whose items have no audio is not "empty": its own code, its own words."""
    items = [replace(i, audio=False) for i in fake_items(2)]
    url = feed_server.serve("/feed.xml", Reply(rss(items)))

    with translation.override(language), pytest.raises(FeedNoAudio) as exc_info:
        feed_source_import(url=url)

    assert exc_info.value.code == ErrorCode.FEED_NO_AUDIO
    assert exc_info.value.message == message
    assert Show.objects.count() == 0


def test_feed_source_import_of_one_item_without_audio(
    feed_server: FeedServer,
) -> None:
    item = replace(fake_items(1)[0], url="ftp://cdn.example.com/ep.mp3")
    url = feed_server.serve("/feed.xml", Reply(rss([item])))
    with pytest.raises(FeedNoAudio) as exc_info:
        feed_source_import(url=url)
    assert exc_info.value.message == (
        "The feed has 1 item, but it has no audio: no enclosure with an http or "
        "https address, so there is no episode to import."
    )


def test_feed_source_import_without_allow_list_is_refused(
    feed_server: FeedServer, settings: Settings
) -> None:
    settings.ONDAS_FEEDS_ALLOWED_NETWORKS = []
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(1))))
    with pytest.raises(FeedAddressRefused):
        feed_source_import(url=url)


def test_feed_source_import_odd_items(feed_server: FeedServer) -> None:
    """Same titles, a very long GUID, unknown language and categories, people."""
    long_guid = "g" * 400
    base = fake_items(3)
    items = [
        replace(base[0], title="Same"),
        replace(base[1], title="Same", guid=long_guid, persons=[("Guest", "guest")]),
        replace(base[2], title="", season=None, number=None),
    ]
    body = rss(
        items,
        language="Klingon!",
        category='<itunes:category text="Underwater Basket Weaving"/>'
        '<itunes:category text="Technology"><itunes:category text="Nonsense"/></itunes:category>',
        extra_channel='<podcast:person role="host">Host</podcast:person>',
    )
    source = feed_source_import(url=feed_server.serve("/feed.xml", Reply(body)))
    show = source.show
    assert show.language == "en"
    assert [c.name for c in show.categories.all()] == ["Technology"]
    slugs = sorted(Episode.objects.filter(show=show).values_list("slug", flat=True))
    assert slugs == ["ep-00002", "same", "same-2"]
    assert Episode.objects.filter(show=show, guid__startswith="sha256:").count() == 1
    assert sorted(
        FeedPerson.objects.filter(show=show).values_list("name", flat=True)
    ) == [
        "Guest",
        "Host",
    ]


def test_cli_feeds_import_shows_progress(
    feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(120))))
    assert main(["feeds", "import", url]) == 0
    out, err = capsys.readouterr()
    assert "120 episodes" in out
    assert "[##############################] 120/120 episodes" in err


def test_cli_feeds_import_reports_refusals(
    feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = feed_server.serve("/feed.xml", Reply(b"", status=500))
    with pytest.raises(SystemExit):
        main(["feeds", "import", url])
    assert "feed_http_error" in capsys.readouterr().err


def test_fake_item_enclosure_default() -> None:
    item = FakeItem(guid="x", title="x", published=fake_items(1)[0].published)
    assert item.enclosure.endswith("/x.mp3")
