"""An enclosure's type, when its feed does not say it (issue 12, item 10): the file
name's extension, then the file's first bytes, fetched with a Range request
after the import; never audio/mpeg made up."""

from __future__ import annotations

import logging
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from ondas.catalog.media_types import HEAD_BYTES
from ondas.catalog.models import Show
from ondas.ingest.models import FeedRefresh, RemoteEpisode
from ondas.ingest.parse import feed_parse
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import feed_source_refresh
from tests.support.audio_files import ogg_opus, ogg_vorbis
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel>
  <title>Radio Libre</title>
  <link>https://libre.example.org/</link>
  <description>Free formats only.</description>
  <language>es</language>
  <itunes:author>Colectivo Libre</itunes:author>
  {items}
</channel>
</rss>
"""
# What each enclosure declares, and the type Ondas keeps before any byte is read.
ENCLOSURES = {
    "ogg": ('url="https://media.libre.example.org/1.ogg"', "audio/ogg"),
    "opus": ('url="https://media.libre.example.org/2.opus"', "audio/opus"),
    "m4a": ('url="https://media.libre.example.org/3.M4A?dl=1"', "audio/mp4"),
    "octet-stream": (
        'url="https://media.libre.example.org/4.opus" type="application/octet-stream"',
        "audio/opus",
    ),
    "declared": (
        'url="https://media.libre.example.org/5.ogg" type="audio/x-custom"',
        "audio/x-custom",
    ),
    "nameless": ('url="https://media.libre.example.org/play?id=6"', ""),
}


def _item(guid: str, enclosure: str, *, title: str = "") -> str:
    return f"""
  <item>
    <title>{title or "Episode " + guid}</title>
    <guid isPermaLink="false">libre-{guid}</guid>
    <pubDate>Mon, 03 Mar 2025 05:00:00 GMT</pubDate>
    <enclosure {enclosure} length="1000"/>
  </item>"""


def _feed(*items: str) -> bytes:
    return FEED.format(items="".join(items)).encode()


def _types(show: Show) -> dict[str, str]:
    return dict(
        RemoteEpisode.objects.filter(episode__show=show).values_list(
            "episode__guid", "enclosure_type"
        )
    )


def _feed_types(client: Client, show: Show) -> dict[str, str]:
    """The enclosure types the show's public feed republishes, by GUID."""
    root = ElementTree.fromstring(
        client.get(reverse("feeds:show-feed", args=[show.slug])).getvalue()
    )
    found = {}
    for item in root.iter("item"):
        enclosure = item.find("enclosure")
        assert enclosure is not None
        found[str(item.findtext("guid"))] = str(enclosure.get("type"))
    return found


@pytest.mark.parametrize(("name", "case"), list(ENCLOSURES.items()))
def test_feed_parse_types_an_enclosure_by_its_file_name(
    name: str, case: tuple[str, str]
) -> None:
    enclosure, expected = case
    feed = feed_parse(_feed(_item(name, enclosure)), url="https://libre.example.org/")
    (item,) = feed.items
    assert item.enclosure_type == expected


def test_feed_parse_picks_the_audio_enclosure_by_its_file_name() -> None:
    """A cover image declared first does not stand for the episode's audio."""
    item = _item(
        "1",
        'url="https://media.libre.example.org/cover.jpg" type="image/jpeg"/>'
        '<enclosure url="https://media.libre.example.org/1.m4a"',
    )
    (parsed,) = feed_parse(_feed(item), url="https://libre.example.org/").items
    assert (parsed.enclosure_url, parsed.enclosure_type) == (
        "https://media.libre.example.org/1.m4a",
        "audio/mp4",
    )


def test_import_keeps_each_enclosures_type_and_republishes_it(
    feed_server: FeedServer, client: Client
) -> None:
    url = feed_server.serve(
        "/feed.xml",
        Reply(_feed(*(_item(name, e) for name, (e, _t) in ENCLOSURES.items()))),
    )

    source = feed_source_import(url=url)

    expected = {f"libre-{name}": kind for name, (_e, kind) in ENCLOSURES.items()}
    assert _types(source.show) == expected
    # What nothing told yet is said to be unknown, not audio/mpeg.
    assert _feed_types(client, source.show) == expected | {
        "libre-nameless": "application/octet-stream"
    }


def test_import_reads_an_unknown_type_from_the_files_first_bytes(
    feed_server: FeedServer,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """A file whose feed and name say nothing is sniffed after the import: one
    Range request for its first bytes, and the feed republishes what they tell."""
    audio = ogg_opus() + bytes(100_000)
    audio_url = feed_server.serve("/media/episode-7", Reply(audio, ranges=True))
    url = feed_server.serve("/feed.xml", Reply(_feed(_item("7", f'url="{audio_url}"'))))

    with django_capture_on_commit_callbacks(execute=True):
        source = feed_source_import(url=url)

    assert _types(source.show) == {"libre-7": "audio/opus"}
    assert _feed_types(client, source.show) == {"libre-7": "audio/opus"}
    (request,) = [h for path, h in feed_server.requests if path == "/media/episode-7"]
    assert request["Range"] == f"bytes=0-{HEAD_BYTES - 1}"
    assert request["Accept-Encoding"] == "identity"

    # A refresh that changes the item keeps the type read, and reads no more.
    feed_server.serve(
        "/feed.xml", Reply(_feed(_item("7", f'url="{audio_url}"', title="Renamed")))
    )
    with django_capture_on_commit_callbacks(execute=True):
        row = feed_source_refresh(source=source)
    assert (row.outcome, row.updated) == (FeedRefresh.Outcome.APPLIED, 1)
    assert _types(source.show) == {"libre-7": "audio/opus"}
    assert [p for p, _h in feed_server.requests].count("/media/episode-7") == 1


def test_refresh_reads_the_type_of_a_new_nameless_enclosure(
    feed_server: FeedServer,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    url = feed_server.serve(
        "/feed.xml",
        Reply(_feed(_item("1", 'url="https://media.libre.example.org/1.ogg"'))),
    )
    source = feed_source_import(url=url)
    # A server that ignores the Range sends the whole file: only its head is read.
    audio_url = feed_server.serve("/media/2", Reply(ogg_vorbis() + bytes(3_000_000)))
    feed_server.serve(
        "/feed.xml",
        Reply(
            _feed(
                _item("1", 'url="https://media.libre.example.org/1.ogg"'),
                _item("2", f'url="{audio_url}"'),
            )
        ),
    )

    with django_capture_on_commit_callbacks(execute=True):
        row = feed_source_refresh(source=source)

    assert (row.outcome, row.added) == (FeedRefresh.Outcome.APPLIED, 1)
    assert _types(source.show) == {"libre-1": "audio/ogg", "libre-2": "audio/ogg"}


def test_an_enclosure_whose_bytes_tell_nothing_stays_unknown(
    feed_server: FeedServer,
    client: Client,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    page = feed_server.serve(
        "/download", Reply(b"<html><body>video.mp4 mp4 mp4</body></html>", ranges=True)
    )
    gone = feed_server.serve("/gone", Reply(b"", status=404))
    url = feed_server.serve(
        "/feed.xml",
        Reply(_feed(_item("1", f'url="{page}"'), _item("2", f'url="{gone}"'))),
    )

    with (
        caplog.at_level(logging.INFO, logger="ondas.ingest"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        source = feed_source_import(url=url)

    assert _types(source.show) == {"libre-1": "", "libre-2": ""}
    assert set(_feed_types(client, source.show).values()) == {
        "application/octet-stream"
    }
    messages = [
        r.getMessage()
        for r in caplog.records
        if r.name == "ondas.ingest.services.enclosures"
    ]
    episode_ids = dict(RemoteEpisode.objects.values_list("episode__guid", "episode_id"))
    assert messages == [
        f"Episode {episode_ids['libre-1']}: the enclosure's first bytes tell no "
        "audio type",
        f"Episode {episode_ids['libre-2']}: enclosure not read (feed_http_error): "
        "The feed's server answered with HTTP status 404.",
    ]
