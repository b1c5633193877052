"""The public feed: what podcast apps read back, and its validators."""

from __future__ import annotations

import calendar
import io
import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import feedparser  # type: ignore[import-untyped]
import podcastparser  # type: ignore[import-untyped]
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Episode, FeedPerson, Show
from ondas.catalog.services import episode_chapters_replace
from ondas.ingest.models import FeedSource
from ondas.ingest.services.imports import feed_source_import
from tests.ingest.factories import fake_items, rss
from tests.support.feeds import FeedServer, Reply

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "psc": "http://podlove.org/simple-chapters",
    "atom": "http://www.w3.org/2005/Atom",
}
BASE = "http://testserver"


def _feed_url(show: Show) -> str:
    return reverse("feeds:show-feed", args=[show.slug])


def catalog_rows(
    show: Show, *, private_token: str | None = None
) -> list[dict[str, object]]:
    """What a feed of ``show`` must carry: its published episodes with audio.

    The public feed has the free ones, enclosures at ``/audio/<id>.mp3``; a
    private feed (``private_token``) every one, through the token.
    """
    episodes = Episode.objects.filter(
        show=show, audio__isnull=False, published_at__lte=datetime.now(tz=UTC)
    )
    if private_token is None:
        episodes = episodes.filter(access=Episode.Access.FREE)
    rows = []
    for episode in episodes.select_related("audio").order_by("-published_at"):
        assert episode.audio is not None
        audio = f"{BASE}/audio/{episode.audio.pk}"
        rows.append(
            {
                "guid": episode.guid,
                "title": episode.title,
                "url": (
                    f"{audio}.mp3"
                    if private_token is None
                    else f"{audio}/k/{private_token}.mp3"
                ),
                "length": episode.audio.size,
                "type": episode.audio.mime_type,
                "duration": round(episode.duration_seconds),
                "published": int(episode.published_at.timestamp()),
                "chapters": [
                    (c.start_seconds, c.title)
                    for c in episode.chapters.order_by("start_seconds")
                ],
            }
        )
    return rows


def assert_parsers_read(
    url: str, content: bytes, expected: list[dict[str, object]]
) -> tuple[dict[str, Any], Any]:
    """podcastparser and feedparser both read ``expected`` back from a feed.

    Returns what each parsed (podcastparser's dict, feedparser's result), for
    the checks particular to one feed.
    """
    parsed = podcastparser.parse(url, io.BytesIO(content))
    by_podcastparser = [
        {
            "guid": e["guid"],
            "title": e["title"],
            "url": e["enclosures"][0]["url"],
            "length": e["enclosures"][0]["file_size"],
            "type": e["enclosures"][0]["mime_type"],
            "duration": e["total_time"],
            "published": e["published"],
            "chapters": [
                (float(c["start"]), c["title"]) for c in e.get("chapters", [])
            ],
        }
        for e in parsed["episodes"]
    ]
    # podcastparser keeps whole seconds of Podlove times.
    for row in expected:
        row_pp = next(r for r in by_podcastparser if r["guid"] == row["guid"])
        assert row_pp["chapters"] == [(float(int(s)), t) for s, t in row["chapters"]]  # type: ignore[attr-defined]
        row_pp["chapters"] = row["chapters"]
    assert by_podcastparser == expected

    fp = feedparser.parse(content)
    assert not fp.bozo, fp.bozo_exception
    by_feedparser = [
        {
            "guid": e.id,
            "title": e.title,
            "url": e.enclosures[0].href,
            "length": int(e.enclosures[0].length),
            "type": e.enclosures[0].type,
            "duration": int(e.itunes_duration),
            "published": int(calendar.timegm(e.published_parsed)),
            "chapters": [
                (float(_npt(c.start)), c.title)
                for c in e.get("psc_chapters", {}).get("chapters", [])
            ],
        }
        for e in fp.entries
    ]
    assert by_feedparser == expected
    return parsed, fp


def test_round_trip_podcastparser_and_feedparser(
    client: Client, small_show: Show
) -> None:
    """Both parsers read back exactly the catalog's free episodes."""
    response = client.get(_feed_url(small_show))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    expected = catalog_rows(small_show)
    assert [e["guid"] for e in expected] == ["small-2", "small-1", "small-0"]

    parsed, _fp = assert_parsers_read(
        BASE + _feed_url(small_show), response.getvalue(), expected
    )
    assert parsed["title"] == small_show.title
    assert parsed["itunes_owner"] == {"name": "Ana Pérez", "email": "ana@example.com"}


def _npt(value: str) -> float:
    hours, minutes, seconds = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_feed_has_apple_and_podcasting_20_tags(
    client: Client, small_show: Show
) -> None:
    root = ElementTree.fromstring(client.get(_feed_url(small_show)).getvalue())
    channel = root.find("channel")
    assert channel is not None
    text = {
        tag: channel.findtext(tag, namespaces=NS)
        for tag in (
            "title",
            "description",
            "language",
            "link",
            "itunes:author",
            "itunes:explicit",
            "itunes:type",
            "podcast:guid",
            "podcast:locked",
            "podcast:funding",
        )
    }
    assert text == {
        "title": "Pequeño Show",
        "description": "<p>Tiny &amp; <strong>short</strong>.</p>",
        "language": "es-MX",
        "link": f"{BASE}/shows/{small_show.slug}/",
        "itunes:author": "Ana Pérez",
        "itunes:explicit": "true",
        "itunes:type": "episodic",
        "podcast:guid": str(small_show.guid),
        "podcast:locked": "yes",
        "podcast:funding": "Apoya el show",
    }
    image = channel.find("itunes:image", NS)
    assert image is not None and image.get("href") == BASE + small_show.artwork.url
    categories = [
        (c.get("text"), [s.get("text") for s in c.findall("itunes:category", NS)])
        for c in channel.findall("itunes:category", NS)
    ]
    assert categories == [("Technology", []), ("News", ["Tech News"])]
    locked = channel.find("podcast:locked", NS)
    assert locked is not None and locked.get("owner") == "ana@example.com"
    self_link = channel.find("atom:link", NS)
    assert self_link is not None and self_link.get("href") == BASE + _feed_url(
        small_show
    )
    person = channel.find("podcast:person", NS)
    assert person is not None and (person.text, person.get("role")) == (
        "Ana Pérez",
        "host",
    )
    item = channel.find("item")
    assert item is not None
    assert item.findtext("guid") == "small-2"
    assert item.findtext("itunes:episodeType", namespaces=NS) == "full"
    assert item.findtext("podcast:season", namespaces=NS) == "1"
    assert item.findtext("podcast:episode", namespaces=NS) == "3"
    chapters = item.find("podcast:chapters", NS)
    assert chapters is not None
    assert chapters.get("type") == "application/json+chapters"
    assert (
        chapters.get("url")
        == f"{BASE}/shows/{small_show.slug}/capitulo-2-y-mas/chapters.json"
    )


def test_exclusive_unpublished_and_audioless_episodes_stay_out(
    client: Client, small_show: Show
) -> None:
    body = client.get(_feed_url(small_show)).getvalue().decode()
    for guid in ("small-3", "small-4", "small-future"):
        assert guid not in body


def test_chapters_json_endpoint(client: Client, small_show: Show) -> None:
    url = reverse("feeds:episode-chapters", args=[small_show.slug, "capitulo-1-y-mas"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json+chapters"
    assert json.loads(response.content) == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0.0, "title": "Hola"},
            {"startTime": 90.5, "title": "Medio", "url": "https://ex.com/medio"},
            {"startTime": 601.0, "title": "Fin"},
        ],
    }
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_chapters_json_of_an_exclusive_episode_is_not_found(
    client: Client, small_show: Show
) -> None:
    exclusive = Episode.objects.get(guid="small-3")
    url = reverse("feeds:episode-chapters", args=[small_show.slug, exclusive.slug])
    assert client.get(url).status_code == 404


def test_feed_not_modified_until_the_show_changes(
    client: Client, small_show: Show
) -> None:
    url = _feed_url(small_show)
    first = client.get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"] == "public, no-cache"
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304

    episode = Episode.objects.get(guid="small-1")
    episode_chapters_replace(episode=episode, chapters=[ChapterInput(0.0, "Only")])
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert b'title="Only"' in changed.getvalue()

    etag = changed["ETag"]
    episode.title = "Nuevo título"
    episode.save(update_fields=["title", "updated_at"])
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and b"Nuevo t\xc3\xadtulo" in changed.getvalue()

    etag = changed["ETag"]
    FeedPerson.objects.create(show=small_show, name="Invitada", role="guest")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_feed_is_rendered_once_per_validator(client: Client, small_show: Show) -> None:
    url = _feed_url(small_show)
    with CaptureQueriesContext(connection) as cold:
        first = client.get(url)
    with CaptureQueriesContext(connection) as warm:
        second = client.get(url)
    assert second.getvalue() == first.getvalue()
    # Warm: the validators' aggregates only; no episode or chapter rows are read.
    assert len(warm.captured_queries) < len(cold.captured_queries)
    assert not any(
        '"catalog_chapter"."title"' in q["sql"] for q in warm.captured_queries
    )


def test_unknown_show_feed_is_not_found(client: Client, db: None) -> None:
    assert client.get("/shows/nope/feed.xml").status_code == 404


@pytest.mark.usefixtures("allow_loopback")
def test_imported_show_feed_carries_the_publishers_enclosures(
    client: Client, feed_server: FeedServer, db: None
) -> None:
    items = fake_items(3)
    source: FeedSource = feed_source_import(
        url=feed_server.serve("/feed.xml", Reply(rss(items, locked="no")))
    )
    content = client.get(_feed_url(source.show)).getvalue()
    parsed = podcastparser.parse("x", io.BytesIO(content))
    assert [
        (e["guid"], e["enclosures"][0]["url"], e["enclosures"][0]["file_size"])
        for e in parsed["episodes"]
    ] == [(i.guid, i.enclosure, i.length) for i in reversed(items)]
    root = ElementTree.fromstring(content)
    assert root.findtext("channel/podcast:locked", namespaces=NS) == "no"
    image = root.find("channel/itunes:image", NS)
    assert image is not None
    assert image.get("href") == "https://chaos.example.com/art.png"
