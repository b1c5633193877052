"""The dashboard and the episode list are kept rendered (studio.pages): a warm
look costs a few queries, and every change they show makes a new copy."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils.timezone import now as timezone_now
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from ondas.catalog.models import Audiobook, Episode, Show
from ondas.catalog.services import audio_file_create
from ondas.catalog.services.authored import (
    PublishWhen,
    studio_episode_create,
    studio_episode_update,
)
from ondas.catalog.services.books_authored import book_part_add
from ondas.ingest.models import FeedSource
from ondas.ingest.services.detach import feed_source_detach
from ondas.studio.models import Membership, Role
from ondas.studio.services.members import membership_grant, membership_role_change
from tests.studio.conftest import Cast, audiobook_make

pytestmark = pytest.mark.django_db


def episodes_url(show: Show) -> str:
    return f"/studio/shows/{show.pk}/episodes/"


def rows_of(page: str) -> list[str]:
    """The episode list's rows, each as its text with the tags taken out."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr data-episode=\"\d+\">(.*?)</tr>", body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def show_row(page: str, title: str) -> str:
    """The dashboard's row of the show titled ``title``, tags taken out."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if f">{title}</a>" in row:
            return " ".join(re.sub(r"<[^>]+>", " ", row).split())
    raise AssertionError(f"no row for {title!r}")


@pytest.fixture
def owner_client(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


@pytest.fixture
def many(cast: Cast) -> list[Episode]:
    """Thirty published episodes: more than a page of the list."""
    return [
        studio_episode_create(
            show=cast.show, title=f"Episodio {n}", when=PublishWhen.DRAFT
        )
        for n in range(30)
    ]


def test_episode_list_warm_look_costs_three_queries(
    owner_client: Client,
    cast: Cast,
    many: list[Episode],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    first = owner_client.get(episodes_url(cast.show))
    # The session, the person, their membership with the show: nothing more.
    with django_assert_max_num_queries(3):
        warm = owner_client.get(episodes_url(cast.show))
    assert warm.status_code == 200
    assert rows_of(warm.content.decode()) == rows_of(first.content.decode())
    assert len(rows_of(warm.content.decode())) == 25
    assert "Page 1 of 2" in warm.content.decode()


def test_dashboard_warm_look_costs_three_queries(
    owner_client: Client,
    cast: Cast,
    many: list[Episode],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    owner_client.get("/studio/")
    # The session, the person, the memberships with what they show.
    with django_assert_max_num_queries(3):
        warm = owner_client.get("/studio/")
    assert warm.status_code == 200
    assert show_row(warm.content.decode(), cast.show.title).startswith(
        "Ondas en Vivo Owner 30 30 0"
    )


def test_episode_list_edit_shows_at_once(
    owner_client: Client, cast: Cast, many: list[Episode]
) -> None:
    episode = many[-1]  # the newest: first in the list
    before = owner_client.get(episodes_url(cast.show)).content.decode()

    studio_episode_update(
        episode=episode,
        title="Un título nuevo",
        description="",
        season=None,
        number=None,
        kind=Episode.Kind.BONUS,
        access=Episode.Access.EXCLUSIVE,
        audio_id=None,
    )
    after = owner_client.get(episodes_url(cast.show)).content.decode()

    assert rows_of(before)[0] == "Episodio 29 Drafts — Free Edit : Episodio 29"
    assert rows_of(after)[0] == (
        "Un título nuevo Bonus Drafts — Exclusive to Premium Edit : Un título nuevo"
    )


def test_episode_list_counts_follow_a_new_episode(
    owner_client: Client, cast: Cast, many: list[Episode]
) -> None:
    owner_client.get(episodes_url(cast.show))
    owner_client.get(f"{episodes_url(cast.show)}?state=draft")

    studio_episode_create(show=cast.show, title="Otro", when=PublishWhen.DRAFT)
    page = owner_client.get(f"{episodes_url(cast.show)}?state=draft").content.decode()

    assert "Drafts</a> (31)" in page
    assert "All</a> (31)" in page
    assert rows_of(page)[0].startswith("Otro Drafts")


def test_episode_list_scheduled_episode_coming_out_changes_the_page(
    owner_client: Client, cast: Cast, settings: Settings
) -> None:
    at = (timezone_now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    scheduled = studio_episode_create(
        show=cast.show, title="Mañana", when=PublishWhen.DRAFT
    )
    Episode.objects.filter(pk=scheduled.pk).update(
        status=Episode.Status.PUBLISHED, published_at=at
    )
    before = owner_client.get(episodes_url(cast.show)).content.decode()

    settings.ONDAS_CLOCK_SHIFT = timedelta(hours=3)  # no write: only time passes
    after = owner_client.get(episodes_url(cast.show)).content.decode()

    assert rows_of(before) == [
        f"Mañana Scheduled Comes out {at:%Y-%m-%d %H:%M} Free Edit : Mañana"
    ]
    assert rows_of(after) == [
        f"Mañana Published {at:%Y-%m-%d %H:%M} Free Edit : Mañana"
    ]


def test_episode_list_is_kept_per_language(
    owner_client: Client, cast: Cast, many: list[Episode]
) -> None:
    english = owner_client.get(episodes_url(cast.show)).content.decode()
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = owner_client.get(episodes_url(cast.show)).content.decode()

    assert "Drafts</a> (30)" in english
    assert "Borradores</a> (30)" in spanish
    assert rows_of(spanish)[0] == "Episodio 29 Borradores — Gratis Editar : Episodio 29"


def test_dashboard_follows_new_episodes_and_roles(
    client: Client, cast: Cast, many: list[Episode]
) -> None:
    client.force_login(cast.editor)
    before = show_row(client.get("/studio/").content.decode(), cast.show.title)

    studio_episode_create(show=cast.show, title="Otro", when=PublishWhen.DRAFT)
    membership = Membership.objects.get(show=cast.show, user=cast.editor)
    membership_role_change(
        membership=membership, role=Role.ANALYST, acting_user=cast.owner
    )
    after = show_row(client.get("/studio/").content.decode(), cast.show.title)

    assert before.startswith("Ondas en Vivo Editor 30 30 0 Edit Episodes Numbers Leave")
    assert after.startswith("Ondas en Vivo Analyst 31 31 0 Numbers Leave")


def test_dashboard_leave_buttons_share_one_form_with_the_token(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.editor)
    page = client.get("/studio/").content.decode()

    table = page.split('id="studio-items-heading"', 1)[1].split("</section>", 1)[0]
    assert "<form" not in table and "csrfmiddlewaretoken" not in table
    shared = page.split('<form id="studio-leave" method="post" hidden>', 1)[1]
    assert shared.split("</form>", 1)[0].count('name="csrfmiddlewaretoken"') == 1
    assert (
        f'form="studio-leave" formaction="/studio/shows/{cast.show.pk}/leave/"' in page
    )
    response = client.post(f"/studio/shows/{cast.show.pk}/leave/")
    assert response.status_code == 302
    assert not Membership.objects.filter(show=cast.show, user=cast.editor).exists()
    assert "You have no shows or audiobooks" in client.get("/studio/").content.decode()


def test_dashboard_badge_goes_when_the_show_stops_following_its_feed(
    owner_client: Client, cast: Cast
) -> None:
    FeedSource.objects.create(
        show=cast.show,
        url="https://example.com/feed.xml",
        next_refresh_at=timezone_now(),
    )
    following = show_row(owner_client.get("/studio/").content.decode(), cast.show.title)

    feed_source_detach(show=cast.show, acting_user=cast.owner, now=timezone_now())
    detached = show_row(owner_client.get("/studio/").content.decode(), cast.show.title)

    assert "Follows its RSS feed" in following
    assert "Follows its RSS feed" not in detached


def test_dashboard_follows_a_books_parts_and_title(
    owner_client: Client, cast: Cast
) -> None:
    book = audiobook_make("Libro de Prueba")
    membership_grant(target=book, user=cast.owner, role=Role.OWNER)
    before = show_row(owner_client.get("/studio/").content.decode(), book.title)

    audio = audio_file_create(
        name="parte-2.mp3",
        content=io.BytesIO(b"ID3" + bytes(1024)),
        mime_type="audio/mpeg",
        duration_seconds=60,
    )
    book_part_add(book=book, audio=audio, title="Segunda parte")
    Audiobook.objects.filter(pk=book.pk).update(title="Libro Nuevo")
    after = show_row(owner_client.get("/studio/").content.decode(), "Libro Nuevo")

    assert before.startswith("Libro de Prueba Audiobook Owner 1 — 0")
    assert after.startswith("Libro Nuevo Audiobook Owner 2 — 0")
