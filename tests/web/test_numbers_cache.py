"""The numbers pages from the cache: the same numbers as computed afresh,
new counts as soon as a roll-up write commits, and few queries when warm."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.analytics.ingest import log_ingest
from ondas.analytics.listening import listening_rollup
from ondas.catalog.models import Episode
from ondas.core import clock
from ondas.playback.heard import heard_spans_keep
from ondas.playback.services import PlayedInterval
from tests.analytics.conftest import episode_make, line
from tests.web.numbers_data import NumbersCast

pytestmark = pytest.mark.django_db

# Warm: the session, its user, the membership with its show, the numbers
# version and the closed statements (the show page; the episode page reads
# the episode instead of the statements).
WARM_QUERIES = 5


def _client(user: User, language: str = "en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def _total(html: str, name: str) -> int:
    found = re.search(rf'data-total="{name}">(\d+)<', html)
    assert found, name
    return int(found.group(1))


def _days_table(html: str) -> str:
    found = re.search(
        r'<table class="studio-table" id="days-table">.*?</table>', html, re.S
    )
    assert found
    return found.group(0)


def _expected(days: int) -> tuple[int, int]:
    """The fixture's downloads and plays over the last ``days`` days:
    episode k has k + back % 5 downloads and back % 3 plays ``back`` days ago
    (numbers_data.rollups_write), three episodes."""
    downloads = sum(k + back % 5 for back in range(days) for k in (1, 2, 3))
    plays = sum(3 * (back % 3) for back in range(days))
    return downloads, plays


@pytest.mark.parametrize("days", [30, 90, 365])
@pytest.mark.parametrize("language", ["en", "es"])
def test_cached_show_page_has_the_computed_numbers(
    numbers_cast: NumbersCast, settings: Settings, days: int, language: str
) -> None:
    client = _client(numbers_cast.owner, language)
    url = reverse("web:numbers-show", args=[numbers_cast.show.pk])

    cold = client.get(url, {"days": days}).content.decode()
    warm = client.get(url, {"days": days}).content.decode()
    settings.ONDAS_NUMBERS_CACHE_SECONDS = 0
    direct = client.get(url, {"days": days}).content.decode()

    for page in (cold, warm, direct):
        assert (_total(page, "downloads"), _total(page, "plays")) == _expected(days)
    assert _days_table(cold) == _days_table(warm) == _days_table(direct)
    assert _days_table(warm).count("<tr>") == days + 1  # and the header row


def test_each_language_has_its_own_copy(numbers_cast: NumbersCast) -> None:
    url = reverse("web:numbers-show", args=[numbers_cast.show.pk])

    english = _client(numbers_cast.owner, "en").get(url).content.decode()
    spanish = _client(numbers_cast.owner, "es").get(url).content.decode()

    assert "Downloads per day, the last 30 days" in english
    assert "Descargas por día, los últimos 30 días" in spanish


def test_warm_pages_read_no_roll_up(numbers_cast: NumbersCast) -> None:
    client = _client(numbers_cast.owner)
    show, episode = numbers_cast.show.pk, numbers_cast.episodes[0].pk
    for url in (
        reverse("web:numbers-show", args=[show]),
        reverse("web:numbers-episode", args=[show, episode]),
    ):
        client.get(url, {"days": 365})

        with CaptureQueriesContext(connection) as warm:
            assert client.get(url, {"days": 365}).status_code == 200

        sql = [q["sql"] for q in warm.captured_queries]
        assert len(sql) == WARM_QUERIES, sql
        assert not any('"analytics_daily' in q for q in sql), sql


def test_a_new_title_shows_at_once(numbers_cast: NumbersCast) -> None:
    client = _client(numbers_cast.owner)
    url = reverse("web:numbers-show", args=[numbers_cast.show.pk])
    client.get(url)

    Episode.objects.filter(pk=numbers_cast.episodes[2].pk).update(title="Nuevo")

    assert ">Nuevo<" in client.get(url).content.decode()


def test_an_ingest_of_new_downloads_changes_the_cached_page(
    numbers_cast: NumbersCast,
) -> None:
    episode = episode_make(numbers_cast.show, "con-audio")
    client = _client(numbers_cast.owner)
    show_url = reverse("web:numbers-show", args=[numbers_cast.show.pk])
    episode_url = reverse(
        "web:numbers-episode", args=[numbers_cast.show.pk, episode.pk]
    )
    before = _total(client.get(show_url).content.decode(), "downloads")
    assert _total(client.get(episode_url).content.decode(), "downloads") == 0
    now = clock.now()

    # Two listeners fetch the whole file today: two downloads.
    log = line(episode, at=now - timedelta(minutes=2), addr="198.51.100.7")
    log += line(episode, at=now - timedelta(minutes=1), addr="203.0.113.9")
    report = log_ingest(stream=io.BytesIO(log), name="today.log")

    assert report.downloads == 2
    assert _total(client.get(show_url).content.decode(), "downloads") == before + 2
    assert _total(client.get(episode_url).content.decode(), "downloads") == 2


def test_a_listening_roll_up_changes_the_cached_page(
    numbers_cast: NumbersCast,
) -> None:
    client = _client(numbers_cast.owner)
    episode = numbers_cast.episodes[0]
    url = reverse("web:numbers-episode", args=[numbers_cast.show.pk, episode.pk])
    before = _total(client.get(url).content.decode(), "plays")

    heard_spans_keep(
        user=numbers_cast.listener,
        episode=episode,
        intervals=[PlayedInterval(start=0, end=600, rate=1.0)],
        now=clock.now(),
    )
    listening_rollup()

    # Today's row had plays from the fixture; the listener's play is one more.
    assert _total(client.get(url).content.decode(), "plays") == before + 1
