"""Top apps on the show's numbers page: its table, in both languages, and
its CSV, whose sum is the downloads the ingest counted."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ondas.accounts.models import User
from ondas.analytics.ingest import log_ingest
from ondas.core import clock
from tests.analytics.conftest import episode_make, line
from tests.web.numbers_data import NumbersCast

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SPOTIFY = "Spotify/8.8.96 Android/33 (SM-G991B)"


def _client(user: User, language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def _downloads_today(cast: NumbersCast) -> None:
    """Three listeners in a browser and one in Spotify fetch a whole file."""
    episode = episode_make(cast.show, "con-audio")
    at = clock.now() - timedelta(minutes=5)
    log = b"".join(
        line(episode, at=at, addr=f"198.51.100.{n}", ua=BROWSER) for n in (1, 2, 3)
    )
    log += line(episode, at=at, addr="198.51.100.9", ua=SPOTIFY)
    assert log_ingest(stream=io.BytesIO(log), name="apps.log").downloads == 4


def test_a_show_without_app_counts_says_so(numbers_cast: NumbersCast) -> None:
    url = reverse("web:numbers-show", args=[numbers_cast.show.pk])

    html = _client(numbers_cast.owner, "en").get(url).content.decode()

    assert "No downloads in the period, so no apps either." in html
    assert 'id="apps-table"' not in html
    assert "No GeoIP database is configured" in html


@pytest.mark.parametrize(
    ("language", "browser", "share"),
    [("en", "Web browser", "75 %"), ("es", "Navegador web", "75 %")],
)
def test_top_apps_table_lists_each_app_most_first(
    numbers_cast: NumbersCast, language: str, browser: str, share: str
) -> None:
    client = _client(numbers_cast.owner, language)
    url = reverse("web:numbers-show", args=[numbers_cast.show.pk])
    client.get(url)  # cached before the ingest: the ingest must show anyway

    _downloads_today(numbers_cast)
    html = client.get(url).content.decode()

    table = html[html.index('id="apps-table"') :]
    assert table.index(browser) < table.index("Spotify")
    assert f'<th scope="row">{browser}</th><td>3</td><td>{share}</td>' in table
    assert '<th scope="row">Spotify</th><td>1</td><td>25 %</td>' in table


def test_apps_csv_sums_to_the_downloads_counted(numbers_cast: NumbersCast) -> None:
    _downloads_today(numbers_cast)
    url = reverse("web:numbers-show-csv", args=[numbers_cast.show.pk, "apps"])

    response = _client(numbers_cast.analyst, "en").get(url, {"days": 30})

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["App", "Downloads", "Share of downloads (%)"]
    assert rows[1:] == [["Web browser", "3", "75"], ["Spotify", "1", "25"]]
    assert sum(int(row[1]) for row in rows[1:]) == 4
