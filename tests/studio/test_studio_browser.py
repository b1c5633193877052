"""A creator runs a show from the studio in Debian's chromium (issue 13).

Sign in, create a show, upload an MP3 through the page (tus-js-client), edit
the chapters its ID3 tags gave (one set with "Now" while the editor's player
plays), schedule the episode for the next minutes; when that time comes it is
on the public show page, in the public feed (podcastparser reads its
chapters) and plays in the web player.

The page schedules to the minute (datetime-local), so rather than wait up to
two minutes the test moves the server's clock past the time with
``ONDAS_CLOCK_SHIFT``, the suite's clock helper (core.clock): every
listener-facing read asks that clock, so this is the moment the episode comes
out, not a shortcut around the rule.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import podcastparser  # type: ignore[import-untyped]
import pytest
from django.urls import reverse
from django.utils.timezone import now as timezone_now
from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.models import User
from ondas.catalog.models import Chapter, Episode, Show
from tests.accounts.factories import PASSWORD, user_make
from tests.studio.test_upload_widget_browser import serial_server  # noqa: F401
from tests.support.studio_audio import mp3_with_chapters
from tests.web.test_browser import wait_playing_from

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_MS = 20_000


@pytest.fixture
def context(browser: Browser, serial_server: LiveServer) -> Iterator[BrowserContext]:  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_cookies(
        [{"name": "ondas_language", "value": "en", "url": serial_server.url}]
    )
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page on which a script error fails the test."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    assert errors == [], errors


@pytest.fixture
def creator_account(db: None) -> User:
    return user_make(email="rosa@example.com", role=User.Role.CREATOR)


def test_a_creator_publishes_a_scheduled_episode_end_to_end(
    page: Page,
    serial_server: LiveServer,  # noqa: F811
    settings: Settings,
    creator_account: User,
) -> None:
    site = serial_server.url

    # Sign in, and create a show.
    page.goto(f"{site}{reverse('accounts:sign-in')}?next=/studio/")
    page.get_by_label("Email address").fill(creator_account.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form .account-card__submit").click()
    page.wait_for_url("**/studio/")
    page.get_by_role("link", name="Create a show").first.click()
    page.fill("#id_title", "Voces del Puerto")
    page.fill("#id_author", "Rosa Díaz")
    page.fill("#id_language", "es")
    page.get_by_role("button", name="Create the show").click()
    assert "“Voces del Puerto” is ready." in page.inner_text(".notice--success")
    show = Show.objects.get(title="Voces del Puerto")

    # A new episode: the MP3 goes up through tus, then the draft is saved.
    page.get_by_role("link", name="New episode").click()
    page.fill("#id_title", "La primera marea")
    page.fill("#id_description", "Historias del muelle.")
    mp3 = mp3_with_chapters([(0, "Intro"), (5, "Main")], seconds=12)
    page.set_input_files(
        "[data-upload-file]",
        files=[{"name": "marea.mp3", "mimeType": "audio/mpeg", "buffer": mp3}],
    )
    page.wait_for_selector("[data-upload-widget][data-upload-state=done]")
    page.get_by_role("button", name="Save the episode").click()
    page.wait_for_selector("#chapters")
    episode = Episode.objects.get(show=show)
    assert episode.status == Episode.Status.DRAFT
    assert episode.audio is not None and episode.audio.size == len(mp3)

    # The chapter editor starts from the ID3 chapters; rename one, and add one
    # whose start "Now" takes from the editor's player.
    titles = page.locator("[name=chapter_title]")
    assert [titles.nth(i).input_value() for i in range(titles.count())] == [
        "Intro",
        "Main",
    ]
    titles.nth(1).fill("The main story")
    page.get_by_role("button", name="Add a chapter").click()
    page.evaluate("() => document.getElementById('studio-audio').play()")
    page.wait_for_function(
        "() => document.getElementById('studio-audio').currentTime >= 2"
    )
    page.evaluate("() => document.getElementById('studio-audio').pause()")
    heard = int(
        page.evaluate("() => document.getElementById('studio-audio').currentTime")
    )
    page.locator("[data-chapter-row]").nth(2).get_by_role("button", name="Now").click()
    assert page.locator("[name=chapter_start]").nth(2).input_value() == f"0:{heard:02d}"
    titles.nth(2).fill("A gull")
    page.get_by_role("button", name="Save the chapters").last.click()
    assert "The chapters are saved." in page.inner_text(".notice--success")
    saved = list(
        Chapter.objects.filter(episode=episode)
        .order_by("start_seconds")
        .values_list("start_seconds", "title")
    )
    assert saved == [(0.0, "Intro"), (float(heard), "A gull"), (5.0, "The main story")]

    # Schedule it for the next minutes, in UTC as the page says.
    assert "Times on this page are in UTC." in page.inner_text("#episode-publication")
    at = (timezone_now() + timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.get_by_label("Publish at a time").check()
    page.fill("#id_at", at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save", exact=True).click()
    assert f"Comes out {at:%Y-%m-%d %H:%M} UTC." in page.inner_text("#episode-state")

    show_url = site + reverse("web:show-detail", args=[show.slug])
    feed_url = site + reverse("feeds:show-feed", args=[show.slug])
    page.goto(show_url)
    assert page.locator("text=La primera marea").count() == 0
    before = podcastparser.parse(
        feed_url, io.BytesIO(page.request.get(feed_url).body())
    )
    assert before["episodes"] == []

    # The time comes.
    settings.ONDAS_CLOCK_SHIFT = at - timezone_now() + timedelta(seconds=1)

    page.goto(show_url)
    article = page.locator(f"#episode-{episode.slug}")
    assert article.locator(".episode__title").inner_text() == "La primera marea"
    feed = podcastparser.parse(feed_url, io.BytesIO(page.request.get(feed_url).body()))
    (item,) = feed["episodes"]
    assert item["title"] == "La primera marea"
    assert [(c["start"], c["title"]) for c in item["chapters"]] == [
        (0, "Intro"),
        (heard, "A gull"),
        (5, "The main story"),
    ]
    assert item["enclosures"][0]["mime_type"] == "audio/mpeg"

    article.locator('[data-action="play-episode"]').click()
    wait_playing_from(page, 0.5)
    assert page.locator("#player-title").inner_text() == "La primera marea"
    page.evaluate("() => document.getElementById('player-audio').pause()")
