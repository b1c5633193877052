"""A show a feed import is still writing (``Show.importing``) is nowhere: its
page, episodes, public and private feeds, chapters, lists and follows answer as
if it did not exist, and listing it changes its validator."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ondas.accounts.models import User
from ondas.billing.models import Plan
from ondas.catalog.models import Episode, Show
from ondas.catalog.services import show_listed
from ondas.core import clock
from ondas.feedkeys.selectors import private_feed_overview
from ondas.feeds.selectors import show_feed_validators
from ondas.library.selectors import follow_list_shows, follow_page_for_user
from ondas.library.services import follow_show
from tests.support.private_feeds import key_make, subscribe

pytestmark = pytest.mark.django_db


def _hide(show: Show) -> None:
    Show.objects.filter(pk=show.pk).update(importing=True)


def _urls(show: Show, token: str) -> dict[str, str]:
    episode = Episode.objects.filter(show=show, chapters__isnull=False).first()
    assert episode is not None
    return {
        "page": reverse("web:show-detail", args=[show.slug]),
        "episode": reverse("web:episode-detail", args=[show.slug, episode.slug]),
        "feed": reverse("feeds:show-feed", args=[show.slug]),
        "chapters": reverse("feeds:episode-chapters", args=[show.slug, episode.slug]),
        "private": reverse("feeds:private-feed", args=[token, show.slug]),
        "private chapters": reverse(
            "feeds:private-episode-chapters", args=[token, show.slug, episode.slug]
        ),
    }


def test_a_show_being_imported_answers_404_everywhere(
    client: Client, small_show: Show, listener: User, plan: Plan
) -> None:
    subscribe(listener, plan)
    _key, token = key_make(listener, small_show)
    follow_show(user=listener, show=small_show)
    urls = _urls(small_show, token)
    assert {name: client.get(url).status_code for name, url in urls.items()} == {
        name: 200 for name in urls
    }

    _hide(small_show)

    assert {name: client.get(url).status_code for name, url in urls.items()} == {
        name: 404 for name in urls
    }
    home = client.get(reverse("web:home")).content.decode()
    assert urls["page"] not in home
    assert list(follow_list_shows(user=listener)) == []
    assert list(follow_page_for_user(user=listener, page_number=1)) == []
    overview = private_feed_overview(user=listener, now=clock.now())
    assert [row.show for row in overview.rows] == []
    follow = reverse("web:show-follow", args=[small_show.slug])
    client.force_login(listener)
    assert client.post(follow).status_code == 404


def test_listing_a_show_bumps_its_validator(small_show: Show) -> None:
    _hide(small_show)
    hidden = Show.objects.get(pk=small_show.pk)
    before = show_feed_validators(show=hidden, base_url="http://testserver")

    show_listed(show=hidden)

    listed = Show.objects.get(pk=small_show.pk)
    assert listed.importing is False
    assert listed.content_version > hidden.content_version
    after = show_feed_validators(show=listed, base_url="http://testserver")
    assert after.etag != before.etag
