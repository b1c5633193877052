"""The show page keeps its episode list, and still shows each visitor their own.

The list is cached by the show's content version, the language, the page and
whether exclusive episodes are locked: a second visit renders no episode and
reads none; a change to the catalog shows at once; a subscriber and a visitor
on the same page see their own locks, in either order.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ondas.catalog.models import Episode, Show
from tests.accounts.factories import user_make
from tests.support.private_feeds import exclusive_plan_make, subscribe


def _url(show: Show) -> str:
    return reverse("web:show-detail", args=[show.slug])


def test_a_second_visit_reads_no_episode(client: Client, small_show: Show) -> None:
    first = client.get(_url(small_show)).content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(_url(small_show)).content.decode()
    start = first.index('<section class="episodes"')
    end = first.index("</section>", start)
    assert first[start:end] in second
    for query in queries.captured_queries:
        assert '"catalog_episode"' not in query["sql"], query["sql"]
        assert '"catalog_chapter"' not in query["sql"], query["sql"]


def test_a_change_shows_at_once(client: Client, small_show: Show) -> None:
    client.get(_url(small_show))
    Episode.objects.filter(guid="small-1").update(title="Recién cambiado")
    assert "Recién cambiado" in client.get(_url(small_show)).content.decode()


def test_each_visitor_sees_their_own_locks_whoever_came_first(
    small_show: Show,
) -> None:
    subscriber = user_make(email="socia@example.com")
    subscribe(subscriber, exclusive_plan_make())
    member, visitor = Client(), Client()
    member.force_login(subscriber)
    for first in (member, visitor):
        first.get(_url(small_show))
        seen = {
            "member": member.get(_url(small_show)).content.decode(),
            "visitor": visitor.get(_url(small_show)).content.decode(),
        }
        assert "data-locked" in seen["visitor"]
        assert "data-locked" not in seen["member"]
        assert "data-private-feed-link" in seen["member"]
        assert "data-private-feed-link" not in seen["visitor"]
        Episode.objects.filter(guid="small-1").update(title=f"Vuelta {id(first)}")


def test_each_language_has_its_own_copy(client: Client, small_show: Show) -> None:
    spanish = client.get(_url(small_show)).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(_url(small_show)).content.decode()
    assert "Capítulos" in spanish and "Chapters" not in spanish
    assert "Chapters" in english


def test_the_player_is_made_once_per_language_and_each_page_gets_its_own(
    small_show: Show, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ondas.web.templatetags import ondas_tags

    monkeypatch.setattr(ondas_tags, "_PLAYER_MARKUP", {})
    made: list[str] = []
    real = ondas_tags.render_to_string

    def counting(name: str, *args: object, **kwargs: object) -> str:
        made.append(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ondas_tags, "render_to_string", counting)
    english, spanish = Client(), Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(2):
        seen_en = english.get(_url(small_show)).content.decode()
        seen_es = spanish.get(_url(small_show)).content.decode()
        assert 'id="player-audio"' in seen_en and 'id="player-audio"' in seen_es
        assert "Previous chapter" in seen_en and "Capítulo anterior" not in seen_en
        assert "Capítulo anterior" in seen_es and "Previous chapter" not in seen_es
    assert made == ["ondas/_player.html", "ondas/_player.html"]
