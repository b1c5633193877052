"""Following shows: the services, the show page's button, and "Your shows"."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.accounts.services import user_delete
from ondas.catalog.models import Show
from ondas.catalog.services import show_create
from ondas.library.models import Follow
from ondas.library.selectors import follow_exists, follow_page_for_user
from ondas.library.services import follow_show, unfollow_show
from tests.accounts.factories import PASSWORD, user_make

pytestmark = pytest.mark.django_db

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def quick_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def show(db: None) -> Show:
    return show_create(title="Tiny Talks", author="Ana", language="en")


@pytest.fixture
def browser(settings: Settings) -> Client:
    """A browser whose POSTs must carry the CSRF token, in English."""
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def show_url(show: Show) -> str:
    return reverse("web:show-detail", args=[show.slug])


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


# Services and selectors ---------------------------------------------------


def test_follow_show_twice_keeps_one_follow(listener: User, show: Show) -> None:
    first = follow_show(user=listener, show=show)
    second = follow_show(user=listener, show=show)

    assert first.pk == second.pk
    assert Follow.objects.filter(user=listener).count() == 1
    assert follow_exists(user=listener, show=show) is True


def test_unfollow_show_says_whether_it_was_followed(listener: User, show: Show) -> None:
    follow_show(user=listener, show=show)

    assert unfollow_show(user=listener, show=show) is True
    assert unfollow_show(user=listener, show=show) is False
    assert follow_exists(user=listener, show=show) is False


def test_follow_page_for_user_pages_the_persons_shows_by_title(
    listener: User, settings: Settings
) -> None:
    settings.ONDAS_FOLLOWS_PER_PAGE = 2
    other = user_make(email="other@example.com")
    for title in ["Cello", "Alpha", "Bravo", "Delta"]:
        shown = show_create(title=title, author="X", language="en")
        if title != "Delta":
            follow_show(user=listener, show=shown)
        follow_show(user=other, show=shown)

    first = follow_page_for_user(user=listener, page_number=1)
    second = follow_page_for_user(user=listener, page_number="2")

    assert [s.title for s in first] == ["Alpha", "Bravo"]
    assert [s.title for s in second] == ["Cello"]
    assert first.paginator.count == 3


def test_deleting_the_account_forgets_its_follows(listener: User, show: Show) -> None:
    follow_show(user=listener, show=show)

    user_delete(user=listener, password=PASSWORD)

    assert Follow.objects.filter(user=listener).exists() is False


# The show page's button ---------------------------------------------------


def test_show_page_asks_visitors_to_sign_in_and_come_back(
    browser: Client, show: Show
) -> None:
    html = browser.get(show_url(show)).content.decode()

    sign_in = reverse("accounts:sign-in") + "?next=/shows/tiny-talks/"
    assert f'href="{sign_in}"' in html
    assert "Sign in to follow" in html
    assert reverse("web:show-follow", args=[show.slug]) not in html


def test_follow_and_unfollow_through_the_show_page(
    browser: Client, listener: User, show: Show
) -> None:
    browser.force_login(listener)
    html = browser.get(show_url(show)).content.decode()
    follow_action = reverse("web:show-follow", args=[show.slug])
    assert f'action="{follow_action}"' in html

    response = browser.post(
        follow_action,
        {"csrfmiddlewaretoken": csrf_token(html), "next": show_url(show)},
        follow=True,
    )

    assert response.redirect_chain == [(show_url(show), 302)]
    html = response.content.decode()
    assert "You follow “Tiny Talks”." in html
    assert "(press to stop following)" in html
    unfollow_action = reverse("web:show-unfollow", args=[show.slug])
    assert f'action="{unfollow_action}"' in html
    assert follow_exists(user=listener, show=show) is True

    response = browser.post(
        unfollow_action,
        {"csrfmiddlewaretoken": csrf_token(html), "next": show_url(show)},
        follow=True,
    )

    assert "You no longer follow “Tiny Talks”." in response.content.decode()
    assert follow_exists(user=listener, show=show) is False


def test_follow_without_the_csrf_token_is_refused(
    browser: Client, listener: User, show: Show
) -> None:
    browser.force_login(listener)

    response = browser.post(reverse("web:show-follow", args=[show.slug]))

    assert response.status_code == 403
    assert follow_exists(user=listener, show=show) is False


def test_follow_by_a_visitor_goes_to_sign_in_then_back_to_the_show(
    show: Show,
) -> None:
    response = Client().post(reverse("web:show-follow", args=[show.slug]))

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("accounts:sign-in") + "?next=/shows/tiny-talks/"
    )


def test_follow_goes_back_only_to_pages_of_this_site(
    listener: User, show: Show
) -> None:
    client = Client()
    client.force_login(listener)

    response = client.post(
        reverse("web:show-follow", args=[show.slug]),
        {"next": "https://evil.example/phish"},
    )

    assert response["Location"] == show_url(show)


def test_follow_of_an_unknown_show_is_404_and_get_is_not_allowed(
    listener: User, show: Show
) -> None:
    client = Client()
    client.force_login(listener)

    assert client.post(reverse("web:show-follow", args=["nope"])).status_code == 404
    assert client.get(reverse("web:show-follow", args=[show.slug])).status_code == 405
    assert Follow.objects.exists() is False


# "Your shows" -------------------------------------------------------------


def test_library_lists_followed_shows_with_unfollow_and_opml(
    browser: Client, listener: User, show: Show
) -> None:
    show_create(title="Unfollowed Show", author="X", language="en")
    follow_show(user=listener, show=show)
    browser.force_login(listener)

    html = browser.get(reverse("web:library")).content.decode()

    assert "Tiny Talks" in html
    assert "Unfollowed Show" not in html
    assert f'href="{reverse("web:library")}"' in html  # the header's link
    assert f'href="{reverse("web:library-opml-export")}"' in html
    assert f'action="{reverse("web:library-opml-import")}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert f'action="{reverse("web:show-unfollow", args=[show.slug])}"' in html


def test_library_unfollow_comes_back_to_the_library(
    browser: Client, listener: User, show: Show
) -> None:
    follow_show(user=listener, show=show)
    browser.force_login(listener)
    html = browser.get(reverse("web:library")).content.decode()

    response = browser.post(
        reverse("web:show-unfollow", args=[show.slug]),
        {"csrfmiddlewaretoken": csrf_token(html), "next": reverse("web:library")},
    )

    assert response["Location"] == reverse("web:library")
    assert follow_exists(user=listener, show=show) is False


def test_library_when_following_nothing_says_how_to_start(
    browser: Client, listener: User
) -> None:
    browser.force_login(listener)

    html = browser.get(reverse("web:library")).content.decode()

    assert "You do not follow any shows yet." in html


def test_library_is_for_signed_in_people(browser: Client) -> None:
    home = browser.get(reverse("web:home")).content.decode()
    response = browser.get(reverse("web:library"))

    assert f'href="{reverse("web:library")}"' not in home
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign-in") + "?next=/library/"


def test_library_queries_do_not_grow_with_the_shows_followed(
    browser: Client, listener: User
) -> None:
    browser.force_login(listener)

    def queries_with(count: int) -> int:
        for n in range(Follow.objects.filter(user=listener).count(), count):
            follow_show(
                user=listener,
                show=show_create(title=f"Show {n}", author="X", language="en"),
            )
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(reverse("web:library")).status_code == 200
        return len(queries)

    assert queries_with(1) == queries_with(6)
