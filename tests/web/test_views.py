"""The pages through Django's test client: content, language, paging, errors, feed."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Episode, Show
from ondas.catalog.services import episode_create, show_create
from ondas.web.errors import server_error_view

pytestmark = pytest.mark.django_db

# The chapters of "CPU and Kernel Page Faults": clock time, seconds, title.
PAGE_FAULT_CHAPTERS = [
    ("0:00", 0, "Intro"),
    ("4:00", 240, "Virtual memory"),
    ("12:00", 720, "VMA areas"),
    ("19:50", 1190, "Kernel mode"),
    ("25:30", 1530, "What is a Page fault?"),
    ("30:30", 1830, "First access page fault"),
    ("33:00", 1980, "Stack Expansion page fault"),
    ("34:30", 2070, "CoW page fault"),
    ("38:00", 2280, "Swap page fault"),
    ("39:39", 2379, "File backed page fault"),
    ("40:29", 2429, "Permission page fault"),
    ("45:30", 2730, "Summary"),
]


class _PageReader(HTMLParser):
    """Collect what the tests look for: chapter rows, episodes, <link>s, <html lang>."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.links: list[dict[str, str]] = []
        self.episodes: list[dict[str, str]] = []
        # (episode slug, link text, href, data-start, title)
        self.chapters: list[tuple[str, str, str, str, str]] = []
        self._episode = ""
        self._chapter_link: dict[str, str] | None = None
        self._in_title = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        classes = attr.get("class", "").split()
        if tag == "html":
            self.lang = attr.get("lang", "")
        elif tag == "link":
            self.links.append(attr)
        elif tag == "article" and "data-episode" in attr:
            self.episodes.append(attr)
            self._episode = attr["id"].removeprefix("episode-")
        elif tag == "a" and "chapter-link" in classes:
            self._chapter_link = attr
            self._text = ""
        elif tag == "span" and "chapter__title" in classes:
            self._in_title = True
            self._text = ""

    def handle_data(self, data: str) -> None:
        if self._chapter_link is not None or self._in_title:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._chapter_link is not None:
            self._link_text = self._text.strip()
            self._link = self._chapter_link
            self._chapter_link = None
        elif tag == "span" and self._in_title:
            self._in_title = False
            self.chapters.append(
                (
                    self._episode,
                    self._link_text,
                    self._link["href"],
                    self._link["data-start"],
                    self._text.strip(),
                )
            )


def read_page(html: bytes) -> _PageReader:
    reader = _PageReader()
    reader.feed(html.decode("utf-8"))
    return reader


def show_url(show: Show) -> str:
    return reverse("web:show-detail", args=[show.slug])


def test_home_lists_both_demo_shows(client: Client, demo_catalog: Show) -> None:
    response = client.get(reverse("web:home"))

    assert response.status_code == 200
    body = response.content.decode()
    for show in Show.objects.all():
        assert show.title in body
        assert show_url(show) in body
    assert "Tecnología" in body  # the primary category, translated
    assert "5 episodios" in body


def test_show_page_in_spanish_by_default(client: Client, demo_catalog: Show) -> None:
    response = client.get(show_url(demo_catalog))

    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    page = read_page(response.content)
    assert page.lang == "es"
    body = response.content.decode()
    assert "inglés" in body
    assert "Tecnología" in body
    assert f"Acerca de {demo_catalog.title}" in body
    assert "Capítulos" in body


def test_show_page_links_each_chapter_time_to_its_second(
    client: Client, page_faults_episode: Episode
) -> None:
    episode_url = reverse(
        "web:episode-detail",
        args=[page_faults_episode.show.slug, page_faults_episode.slug],
    )

    response = client.get(show_url(page_faults_episode.show))

    chapters = [
        (text, href, start, title)
        for slug, text, href, start, title in read_page(response.content).chapters
        if slug == page_faults_episode.slug
    ]
    assert chapters == [
        (clock, f"{episode_url}?t={seconds}", str(seconds), title)
        for clock, seconds, title in PAGE_FAULT_CHAPTERS
    ]


def test_show_page_marks_exclusive_episodes(client: Client, demo_catalog: Show) -> None:
    response = client.get(reverse("web:show-detail", args=["sala-de-maquinas"]))

    body = response.content.decode()
    assert body.count("Exclusivo de Premium") == 2
    assert body.count("Tráiler") == 1
    assert "Episodio completo" not in body  # full episodes carry no kind badge
    assert "español" in body  # es-MX, named by its primary language


def test_show_page_advertises_its_feed(client: Client, demo_catalog: Show) -> None:
    response = client.get(show_url(demo_catalog))

    feeds = [
        link
        for link in read_page(response.content).links
        if link.get("rel") == "alternate"
    ]
    assert feeds == [
        {
            "rel": "alternate",
            "type": "application/rss+xml",
            "title": demo_catalog.title,
            "href": reverse("feeds:show-feed", args=[demo_catalog.slug]),
        }
    ]


def test_language_switch_to_english(client: Client, demo_catalog: Show) -> None:
    response = client.post(
        reverse("set_language"), {"language": "en", "next": show_url(demo_catalog)}
    )

    assert response.status_code == 302
    assert response["Location"] == show_url(demo_catalog)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(show_url(demo_catalog))
    assert read_page(page.content).lang == "en"
    body = page.content.decode()
    assert "English" in body
    assert "Technology" in body
    assert f"About {demo_catalog.title}" in body
    assert "inglés" not in body


def test_every_page_has_the_language_switch(client: Client, demo_catalog: Show) -> None:
    response = client.get(reverse("web:home"))

    body = response.content.decode()
    assert f'action="{reverse("set_language")}"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'name="next" value="/"' in body
    assert 'value="es"' in body and 'value="en"' in body


def test_episode_page_starts_at_t(client: Client, page_faults_episode: Episode) -> None:
    url = reverse(
        "web:episode-detail",
        args=[page_faults_episode.show.slug, page_faults_episode.slug],
    )

    response = client.get(url, {"t": "720"})

    assert response.status_code == 200
    (episode,) = read_page(response.content).episodes
    assert episode["data-start-at"] == "720"
    assert page_faults_episode.audio is not None
    audio_url = reverse("playback:audio", args=[page_faults_episode.audio.pk])
    assert f'src="{audio_url}#t=720"' in response.content.decode()  # <noscript>
    assert show_url(page_faults_episode.show) in response.content.decode()


@pytest.mark.parametrize("t", ["", "soon", "-3", "1:99"])
def test_episode_page_ignores_an_unreadable_t(
    client: Client, page_faults_episode: Episode, t: str
) -> None:
    url = reverse(
        "web:episode-detail",
        args=[page_faults_episode.show.slug, page_faults_episode.slug],
    )

    response = client.get(url, {"t": t})

    assert response.status_code == 200
    (episode,) = read_page(response.content).episodes
    assert "data-start-at" not in episode


def _show_with_episodes(count: int, slug: str) -> Show:
    show = show_create(title=f"Paging {slug}", slug=slug, author="Ondas", language="es")
    start = datetime(2024, 1, 1, 10, tzinfo=UTC)
    for number in range(count):
        episode_create(
            show=show,
            guid=f"{slug}-{number}",
            title=f"Episode {number}",
            published_at=start + timedelta(days=number),
            duration_seconds=600,
            chapters=[ChapterInput(0, "Start"), ChapterInput(300, "Middle")],
        )
    return show


def test_show_page_shows_20_episodes_a_page(client: Client) -> None:
    show = _show_with_episodes(45, "long-show")

    first = read_page(client.get(show_url(show)).content)
    last = read_page(client.get(show_url(show), {"page": "3"}).content)

    assert len(first.episodes) == 20
    assert first.episodes[0]["data-title"] == "Episode 44"  # newest first
    assert len(last.episodes) == 5
    assert last.episodes[-1]["data-title"] == "Episode 0"
    body = client.get(show_url(show), {"page": "2"}).content.decode()
    assert 'href="?page=1#episodes"' in body
    assert 'href="?page=3#episodes"' in body
    assert 'aria-current="page"' in body


def test_show_page_query_count_does_not_grow_with_episodes(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    small = _show_with_episodes(2, "small-show")
    large = _show_with_episodes(45, "large-show")

    with CaptureQueriesContext(connection) as small_queries:
        client.get(show_url(small))
    with django_assert_max_num_queries(len(small_queries)):
        response = client.get(show_url(large))

    assert response.status_code == 200
    assert len(small_queries) <= 5


def test_unknown_show_is_a_404_page_in_spanish(client: Client, db: None) -> None:
    response = client.get(reverse("web:show-detail", args=["no-such-show"]))

    assert response.status_code == 404
    body = response.content.decode()
    assert "Página no encontrada" in body
    assert "No hay ningún programa en esta dirección." in body
    assert read_page(response.content).lang == "es"


def test_unknown_episode_is_a_404_page_in_english_with_the_cookie(
    client: Client, demo_catalog: Show
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(
        reverse("web:episode-detail", args=[demo_catalog.slug, "no-such-episode"])
    )

    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "This show has no such episode." in body
    assert read_page(response.content).lang == "en"


def test_unknown_address_is_a_404_page(client: Client, db: None) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "Página no encontrada" in response.content.decode()


def test_server_error_page(rf: RequestFactory, db: None) -> None:
    response = server_error_view(rf.get("/"))

    assert response.status_code == 500
    assert "Algo ha fallado por nuestra parte" in response.content.decode()


def test_feed_lists_only_free_episodes_with_exact_enclosures(
    client: Client, demo_catalog: Show
) -> None:
    show = Show.objects.get(slug="sala-de-maquinas")

    response = client.get(reverse("feeds:show-feed", args=[show.slug]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.getvalue()).find("channel")
    assert channel is not None
    items = channel.findall("item")
    free = show.episodes.filter(access=Episode.Access.FREE).select_related("audio")
    assert [item.findtext("title") for item in items] == [e.title for e in free]
    assert show.episodes.filter(access=Episode.Access.EXCLUSIVE).count() == 2
    for item, episode in zip(items, free, strict=True):
        enclosure = item.find("enclosure")
        assert enclosure is not None
        assert episode.audio is not None
        assert enclosure.get("type") == "audio/mpeg"
        assert enclosure.get("length") == str(os.path.getsize(episode.audio.file.path))
        assert enclosure.get("url", "").endswith(f"/audio/{episode.audio.pk}.mp3")


def test_feed_of_the_demo_show_lists_its_five_episodes(
    client: Client, demo_catalog: Show
) -> None:
    response = client.get(reverse("feeds:show-feed", args=[demo_catalog.slug]))

    channel = ET.fromstring(response.getvalue()).find("channel")
    assert channel is not None
    assert channel.findtext("title") == demo_catalog.title
    assert len(channel.findall("item")) == 5


def test_artwork_is_served_without_debug(client: Client, demo_catalog: Show) -> None:
    response = client.get(demo_catalog.artwork.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_artwork_route_refuses_to_climb_out(client: Client, demo_catalog: Show) -> None:
    # Django answers a path that climbs out with 400 (SuspiciousFileOperation).
    assert client.get("/media/artwork/../ondas.sqlite3").status_code in {400, 404}
    assert client.get("/media/artwork/%2e%2e/secret_key").status_code in {400, 404}
    assert client.get("/media/audio/2025/11/x.mp3").status_code == 404
