"""The creator's numbers pages (issue 14, item 3): who sees them, in which
language, what the charts and the CSV hold, and what they cost in queries."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ondas.accounts.models import User
from tests.web.numbers_data import CHAPTERS, HISTORY_DAYS, NumbersCast, episode_add

pytestmark = pytest.mark.django_db

ROLES_WHO_SEE = ["owner", "editor", "analyst"]
ROLES_WHO_DO_NOT = ["other_owner", "listener"]


def _client(user: User | None, language: str = "en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def _urls(cast: NumbersCast) -> list[str]:
    show, episode = cast.show.pk, cast.episodes[0].pk
    return [
        reverse("web:numbers-show", args=[show]),
        reverse("web:numbers-show-csv", args=[show, "days"]),
        reverse("web:numbers-show-csv", args=[show, "episodes"]),
        reverse("web:numbers-episode", args=[show, episode]),
        reverse("web:numbers-episode-csv", args=[show, episode, "days"]),
        reverse("web:numbers-episode-csv", args=[show, episode, "chapters"]),
    ]


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def _total(html: str, name: str) -> int:
    found = re.search(rf'data-total="{name}">(\d+)<', html)
    assert found, name
    return int(found.group(1))


@pytest.mark.parametrize("role", ROLES_WHO_SEE)
def test_numbers_pages_answer_the_shows_members(
    numbers_cast: NumbersCast, role: str
) -> None:
    client = _client(getattr(numbers_cast, role))

    for url in _urls(numbers_cast):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ROLES_WHO_DO_NOT)
def test_numbers_pages_are_not_found_for_anyone_else(
    numbers_cast: NumbersCast, role: str
) -> None:
    client = _client(getattr(numbers_cast, role))

    for url in _urls(numbers_cast):
        assert client.get(url).status_code == 404, url


def test_numbers_pages_send_anonymous_visitors_to_sign_in(
    numbers_cast: NumbersCast,
) -> None:
    for url in _urls(numbers_cast):
        response = _client(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_another_shows_episode_is_not_found_under_this_show(
    numbers_cast: NumbersCast,
) -> None:
    theirs = episode_add(numbers_cast.other_show, 9)
    client = _client(numbers_cast.owner)

    url = reverse("web:numbers-episode", args=[numbers_cast.show.pk, theirs.pk])
    assert client.get(url).status_code == 404
    own_show_url = reverse(
        "web:numbers-episode", args=[numbers_cast.other_show.pk, theirs.pk]
    )
    assert client.get(own_show_url).status_code == 404


def test_show_numbers_page_in_english(numbers_cast: NumbersCast) -> None:
    html = (
        _client(numbers_cast.analyst, "en")
        .get(reverse("web:numbers-show", args=[numbers_cast.show.pk]))
        .content.decode()
    )

    assert "The numbers of “Ondas en Vivo”" in html
    assert "Downloads per day, the last 30 days" in html
    assert "No GeoIP database is configured" in html
    assert "Statements appear here once a period is closed" in html
    assert "Episodio 3" in html


def test_show_numbers_page_in_spanish(numbers_cast: NumbersCast) -> None:
    html = (
        _client(numbers_cast.analyst, "es")
        .get(reverse("web:numbers-show", args=[numbers_cast.show.pk]))
        .content.decode()
    )

    assert "Las cifras de «Ondas en Vivo»" in html
    assert "Descargas por día, los últimos 30 días" in html
    assert "No hay ninguna base de datos GeoIP configurada" in html
    assert "Los extractos aparecen aquí cuando se cierra un periodo" in html


def test_episode_numbers_page_in_spanish(numbers_cast: NumbersCast) -> None:
    episode = numbers_cast.episodes[0]
    html = (
        _client(numbers_cast.owner, "es")
        .get(reverse("web:numbers-episode", args=[numbers_cast.show.pk, episode.pk]))
        .content.decode()
    )

    assert "Abandono por capítulo" in html
    assert "Reproducciones por día, los últimos 30 días" in html


@pytest.mark.parametrize("days", [30, 90, 365])
def test_the_day_chart_has_one_bar_per_day(
    numbers_cast: NumbersCast, days: int
) -> None:
    html = (
        _client(numbers_cast.owner)
        .get(reverse("web:numbers-show", args=[numbers_cast.show.pk]), {"days": days})
        .content.decode()
    )

    charts = re.findall(r"<svg class=\"chart\".*?</svg>", html, re.DOTALL)
    assert len(charts) == 2  # downloads and plays
    for chart in charts:
        assert 'role="img"' in chart
        assert "aria-label=" in chart
        assert "<title>" in chart
        assert chart.count('<rect class="chart__bar"') == days
    rows = re.search(r'id="days-table">.*?</table>', html, re.DOTALL)
    assert rows
    assert rows.group(0).count('<tr><th scope="row">') == days


def test_an_unknown_range_is_the_last_30_days(numbers_cast: NumbersCast) -> None:
    html = (
        _client(numbers_cast.owner)
        .get(reverse("web:numbers-show", args=[numbers_cast.show.pk]), {"days": "7"})
        .content.decode()
    )

    assert html.count('<rect class="chart__bar"') == 2 * 30


@pytest.mark.parametrize("days", [30, 365])
def test_show_csv_sums_equal_the_page(numbers_cast: NumbersCast, days: int) -> None:
    client = _client(numbers_cast.owner)
    show = numbers_cast.show.pk
    html = client.get(
        reverse("web:numbers-show", args=[show]), {"days": days}
    ).content.decode()
    day_rows = _csv(
        client.get(
            reverse("web:numbers-show-csv", args=[show, "days"]), {"days": days}
        ).content
    )
    episode_rows = _csv(
        client.get(
            reverse("web:numbers-show-csv", args=[show, "episodes"]), {"days": days}
        ).content
    )

    assert day_rows[0] == [
        "Day",
        "Downloads",
        "Unique listeners (downloads)",
        "Plays",
        "Unique listeners (plays)",
    ]
    assert len(day_rows) == 1 + days
    downloads = sum(int(row[1]) for row in day_rows[1:])
    plays = sum(int(row[3]) for row in day_rows[1:])
    assert downloads == _total(html, "downloads") > 0
    assert plays == _total(html, "plays") > 0
    # Every episode's downloads and plays in the period add up to the show's.
    assert [row[0] for row in episode_rows[1:]] == [
        "Episodio 3",
        "Episodio 2",
        "Episodio 1",
    ]
    assert sum(int(row[2]) for row in episode_rows[1:]) == downloads
    assert sum(int(row[3]) for row in episode_rows[1:]) == plays
    for row in episode_rows[1:]:
        assert f"<td>{row[2]}</td>\n              <td>{row[3]}</td>" in html


def test_episode_csv_sums_equal_the_page(numbers_cast: NumbersCast) -> None:
    client = _client(numbers_cast.owner)
    args = [numbers_cast.show.pk, numbers_cast.episodes[1].pk]
    html = client.get(reverse("web:numbers-episode", args=args), {"days": 90})
    day_rows = _csv(
        client.get(
            reverse("web:numbers-episode-csv", args=[*args, "days"]), {"days": 90}
        ).content
    )

    text = html.content.decode()
    assert len(day_rows) == 1 + 90
    assert sum(int(row[1]) for row in day_rows[1:]) == _total(text, "downloads")
    assert sum(int(row[3]) for row in day_rows[1:]) == _total(text, "plays")
    # All time: every day of the roll-ups, past the range too.
    assert _total(text, "all-time-downloads") == sum(
        2 + back % 5 for back in range(HISTORY_DAYS)
    )
    assert _total(text, "players") == 8
    assert _total(text, "completed") == 2
    assert 'data-total="completion">25 %' in text


def test_dropoff_shows_the_chapter_titles_on_the_axis(
    numbers_cast: NumbersCast,
) -> None:
    client = _client(numbers_cast.owner)
    args = [numbers_cast.show.pk, numbers_cast.episodes[0].pk]
    html = client.get(reverse("web:numbers-episode", args=args)).content.decode()
    chapters = _csv(
        client.get(reverse("web:numbers-episode-csv", args=[*args, "chapters"])).content
    )

    dropoff = re.findall(r"<svg class=\"chart\".*?</svg>", html, re.DOTALL)[-1]
    labels = re.findall(r'<text class="chart__label"[^>]*>([^<]*)</text>', dropoff)
    assert labels == ["Bienvenida", "El problema del a…", "Cierre y preguntas"]
    assert dropoff.count('<rect class="chart__bar"') == 3
    for title in CHAPTERS:
        assert f'<th scope="row">{title}</th>' in html
    assert [row[1:] for row in chapters[1:]] == [
        ["Bienvenida", "0", "10", ""],
        ["El problema del apagado", "600", "6", "60"],
        ["Cierre y preguntas", "1200", "3", "50"],
    ]


def test_an_episode_without_chapters_says_so(numbers_cast: NumbersCast) -> None:
    args = [numbers_cast.show.pk, numbers_cast.episodes[2].pk]
    html = _client(numbers_cast.owner).get(reverse("web:numbers-episode", args=args))

    assert "The episode has no chapters" in html.content.decode()


def test_show_page_queries_do_not_grow_with_episodes(
    numbers_cast: NumbersCast,
) -> None:
    """Roll-ups only, and one page of episodes: 3 episodes and 120 cost the
    same (computed, not cached: new episodes move the key)."""
    client = _client(numbers_cast.owner)
    url = reverse("web:numbers-show", args=[numbers_cast.show.pk])
    client.get(url)  # the session and the translations, once

    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"days": 365}).status_code == 200
    for n in range(4, 124):
        episode_add(numbers_cast.show, n)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"days": 365})

    assert response.status_code == 200
    assert len(few) == len(many) == 13, [q["sql"] for q in many.captured_queries]
    assert "Page 1 of 5" in response.content.decode()
    assert not any("playback_heardspan" in q["sql"] for q in many.captured_queries)
    assert not any(
        "analytics_downloadwindow" in q["sql"] for q in many.captured_queries
    )


def test_episode_pages_list_every_episode_page_by_page(
    numbers_cast: NumbersCast,
) -> None:
    for n in range(4, 35):
        episode_add(numbers_cast.show, n)
    client = _client(numbers_cast.owner)
    url = reverse("web:numbers-show", args=[numbers_cast.show.pk])

    second = client.get(url, {"page": 2}).content.decode()
    rows = _csv(
        client.get(
            reverse("web:numbers-show-csv", args=[numbers_cast.show.pk, "episodes"])
        ).content
    )

    assert "Page 2 of 2" in second
    assert "Episodio 1<" in second and "Episodio 34<" not in second
    assert len(rows) == 1 + 34


def test_studio_pages_link_to_the_numbers(numbers_cast: NumbersCast) -> None:
    numbers = reverse("web:numbers-show", args=[numbers_cast.show.pk])

    dashboard = _client(numbers_cast.analyst).get(reverse("studio:dashboard"))
    show_page = _client(numbers_cast.editor).get(
        reverse("studio:show-edit", args=[numbers_cast.show.pk])
    )

    assert numbers in dashboard.content.decode()
    assert numbers in show_page.content.decode()


def test_an_analyst_of_one_show_sees_nothing_of_another(
    numbers_cast: NumbersCast,
) -> None:
    client = _client(numbers_cast.analyst)
    theirs = numbers_cast.other_show.pk

    assert client.get(reverse("web:numbers-show", args=[theirs])).status_code == 404
    csv_url = reverse("web:numbers-show-csv", args=[theirs, "episodes"])
    assert client.get(csv_url).status_code == 404


def test_numbers_pages_only_read(numbers_cast: NumbersCast) -> None:
    client = _client(numbers_cast.owner)

    for url in _urls(numbers_cast):
        assert client.post(url).status_code == 405, url
