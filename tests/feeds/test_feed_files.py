"""Full feeds are rendered once per content version into a file and sent as bytes.

The file is sent like audio: a file response (Gunicorn's sendfile) under
``ondas serve``, an X-Accel-Redirect behind nginx; a client that takes gzip
gets the compressed copy written beside it. The render streams the episodes
in chunks.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from django.db import connection
from django.http import FileResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.catalog.models import Episode, Show
from ondas.feeds import render
from tests.accounts.factories import user_make
from tests.support.private_feeds import exclusive_plan_make, key_make, subscribe


def _url(show: Show) -> str:
    return reverse("feeds:show-feed", args=[show.slug])


def _feed_files(media_root: Path, show: Show) -> list[str]:
    return sorted(p.name for p in (media_root / "feeds" / str(show.pk)).glob("*.xml*"))


def test_the_feed_is_rendered_once_and_then_sent_from_its_file(
    client: Client, small_show: Show, media_root: Path
) -> None:
    first = client.get(_url(small_show))
    assert isinstance(first, FileResponse)  # the sendfile path
    body = first.getvalue()
    assert int(first["Content-Length"]) == len(body)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(_url(small_show))
    assert second.getvalue() == body
    # The show's version, and nothing else: the file is already there, so
    # neither the show's row nor its episodes are read.
    sqls = [query["sql"] for query in queries.captured_queries]
    assert len(sqls) == 1, sqls
    assert '"catalog_show"' in sqls[0] and '"content_version"' in sqls[0]
    assert '"description"' not in sqls[0] and '"catalog_episode"' not in sqls[0]
    names = _feed_files(media_root, small_show)
    assert len(names) == 2 and names[0].startswith("public-")


def test_a_client_that_takes_gzip_gets_the_compressed_copy(
    client: Client, small_show: Show
) -> None:
    plain = client.get(_url(small_show)).getvalue()
    packed = client.get(_url(small_show), HTTP_ACCEPT_ENCODING="br, gzip;q=0.8")
    assert packed["Content-Encoding"] == "gzip"
    assert packed["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.getvalue()) == plain
    refused = client.get(_url(small_show), HTTP_ACCEPT_ENCODING="gzip;q=0")
    assert "Content-Encoding" not in refused
    # The same weak validator stands for both.
    assert packed["ETag"] == refused["ETag"] and packed["ETag"].startswith('W/"')


def test_a_change_writes_a_new_file_and_removes_the_old(
    client: Client, small_show: Show, media_root: Path
) -> None:
    before = client.get(_url(small_show))
    before.getvalue()
    old = _feed_files(media_root, small_show)
    Episode.objects.filter(guid="small-1").update(title="Nuevo título")
    after = client.get(_url(small_show))
    assert "Nuevo título".encode() in after.getvalue()
    new = _feed_files(media_root, small_show)
    assert len(new) == 2 and not set(old) & set(new)


def test_head_answers_the_length_without_a_body(
    client: Client, small_show: Show
) -> None:
    size = len(client.get(_url(small_show)).getvalue())
    head = client.head(_url(small_show))
    assert head.status_code == 200
    assert int(head["Content-Length"]) == size and head.content == b""


def test_behind_nginx_the_feed_file_goes_by_x_accel_redirect(
    client: Client, small_show: Show, settings: Settings, media_root: Path
) -> None:
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    answer = client.get(_url(small_show))
    target = answer["X-Accel-Redirect"]
    assert target.startswith("/_protected_media/feeds/")
    on_disk = media_root / target.removeprefix("/_protected_media/")
    settings.ONDAS_AUDIO_ACCEL_PREFIX = ""
    assert on_disk.read_bytes() == client.get(_url(small_show)).getvalue()
    assert answer["ETag"] and answer["Cache-Control"] == "public, no-cache"


def test_each_private_key_has_its_own_file_with_its_own_token(
    client: Client, small_show: Show, media_root: Path
) -> None:
    plan = exclusive_plan_make()
    tokens = []
    for email in ("a@example.com", "b@example.com"):
        listener = user_make(email=email)
        subscribe(listener, plan)
        tokens.append(key_make(listener, small_show)[1])
    bodies = [
        client.get(
            reverse("feeds:private-feed", args=[token, small_show.slug])
        ).getvalue()
        for token in tokens
    ]
    assert tokens[0].encode() in bodies[0] and tokens[1].encode() not in bodies[0]
    assert tokens[1].encode() in bodies[1] and tokens[0].encode() not in bodies[1]
    assert len([n for n in _feed_files(media_root, small_show) if "key-" in n]) == 4


def test_the_render_reads_episodes_in_chunks(
    client: Client, small_show: Show, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "CHUNK_EPISODES", 1)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(_url(small_show)).getvalue()
    items = body.count(b"<item>")
    assert items > 1
    # Chapters are fetched for each chunk of episodes as it is written: with
    # chunks of one, once per item (a whole-list read would fetch them once).
    chapter_reads = [
        q for q in queries.captured_queries if 'FROM "catalog_chapter"' in q["sql"]
    ]
    assert len(chapter_reads) == items
