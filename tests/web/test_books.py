"""Audiobook pages: browse and detail in Spanish and English, sample or whole book."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from django.utils.timezone import localtime

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Show
from ondas.core import clock
from ondas.ops import demo
from ondas.playback.models import AllowanceUsage
from ondas.playback.selectors import allowance_get
from tests.support.billing import PASSWORD


@pytest.fixture
def book(demo_catalog: Show) -> Audiobook:
    return Audiobook.objects.get(slug="la-biblioteca-de-las-mareas")


@pytest.fixture
def subscriber(demo_subscriber: User) -> User:
    return demo_subscriber


def signed_in(user: User, language: str = "es") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def english() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def detail_url(book: Audiobook) -> str:
    return reverse("web:audiobook-detail", args=[book.slug])


def part_urls(book: Audiobook) -> list[str]:
    return [reverse("playback:audio", args=[p.audio_id]) for p in book.parts.all()]


def test_list_shows_every_book_in_spanish(demo_catalog: Show) -> None:
    response = Client().get(reverse("web:audiobook-list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Audiolibros" in html
    for book in Audiobook.objects.all():
        assert book.title in html
        assert detail_url(book) in html
    assert "inglés" in html and "español" in html


def test_list_in_english(demo_catalog: Show) -> None:
    html = english().get(reverse("web:audiobook-list")).content.decode()

    assert "Books to listen to" in html
    assert "Small Servers, Big Audiences" in html
    assert "Spanish" in html


def test_list_queries_do_not_grow_with_books(
    demo_catalog: Show, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        Client().get(reverse("web:audiobook-list"))


def test_detail_shows_the_facts_and_whole_book_chapters(book: Audiobook) -> None:
    html = Client().get(detail_url(book)).content.decode()

    assert book.title in html
    assert "Marina Olvera" in html
    assert "Leído por Julián Ortega" in html
    assert "Ediciones Ondas" in html
    assert "Ficción" in html
    assert "9 min" in html  # three parts, one timeline
    # Every chapter of the book, the one across parts 1 and 2 included.
    for chapter in book.chapters.all():
        assert chapter.title in html
    assert "2. Cartas sin remitente" in html


def test_detail_in_english(book: Audiobook) -> None:
    html = english().get(detail_url(book)).content.decode()

    assert "Read by Julián Ortega" in html
    assert "Fiction" in html
    assert "Free sample" in html
    assert "Chapters" in html


def test_visitors_get_the_free_sample_only(book: Audiobook) -> None:
    html = Client().get(detail_url(book)).content.decode()

    assert book.sample_audio_id is not None
    assert reverse("playback:audio", args=[book.sample_audio_id]) in html
    for url in part_urls(book):
        assert f'data-src="{url}"' not in html
    assert 'data-mode="sample"' in html
    assert "Muestra gratuita" in html
    assert "Escucha los primeros 0:45 gratis" in html
    assert reverse("billing:plans") in html
    # Only chapters that start inside the sample are playable links.
    assert 'data-book-start="0.0"' in html
    assert 'data-book-start="100.0"' not in html


def test_signed_in_without_a_plan_also_gets_the_sample(book: Audiobook) -> None:
    user = User.objects.create_user("sam@example.com", PASSWORD)

    html = signed_in(user).get(detail_url(book)).content.decode()

    assert 'data-mode="sample"' in html
    assert "Ver los planes" in html


def test_subscribers_get_the_whole_book_and_their_allowance(
    book: Audiobook, subscriber: User
) -> None:
    html = signed_in(subscriber).get(detail_url(book)).content.decode()

    assert 'data-mode="full"' in html
    for url in part_urls(book):
        assert f'data-src="{url}"' in html
    assert "20 h de tiempo de audiolibros disponible" in html
    renews = allowance_get(user=subscriber, now=clock.now()).renews_at
    assert renews is not None
    assert f'data-renews-at="{renews.isoformat()}"' in html
    assert "se renueva el" in html
    assert 'id="book-bookmark-form"' in html
    assert 'data-book-start="100.0"' in html


def test_subscribers_in_english(book: Audiobook, subscriber: User) -> None:
    html = signed_in(subscriber, "en").get(detail_url(book)).content.decode()

    assert "20 h of audiobook time left" in html
    assert "renews on" in html
    assert "Add a bookmark here" in html


def test_exhausted_allowance_shows_the_message_and_renewal(
    book: Audiobook, subscriber: User
) -> None:
    allowance = allowance_get(user=subscriber, now=clock.now())
    assert allowance.period_start is not None and allowance.renews_at is not None
    AllowanceUsage.objects.create(
        user=subscriber,
        period_start=allowance.period_start,
        seconds=allowance.total_seconds,
    )

    html = signed_in(subscriber, "en").get(detail_url(book)).content.decode()

    assert 'data-mode="sample"' in html
    assert "You have used this period’s audiobook hours." in html
    assert "podcasts keep playing" in html
    with translation.override("en"):
        renews = formats.date_format(localtime(allowance.renews_at), "DATE_FORMAT")
    assert f"They renew on {renews}." in html
    for url in part_urls(book):
        assert f'data-src="{url}"' not in html


def test_unknown_book_is_404(demo_catalog: Show) -> None:
    response = Client().get(reverse("web:audiobook-detail", args=["no-such-book"]))

    assert response.status_code == 404


def test_home_links_to_the_books(demo_catalog: Show) -> None:
    html = Client().get(reverse("web:home")).content.decode()

    assert reverse("web:audiobook-list") in html
    assert "La biblioteca de las mareas" in html


def test_account_page_shows_the_allowance(subscriber: User) -> None:
    html = signed_in(subscriber, "en").get(reverse("accounts:account")).content.decode()

    assert "Audiobook hours" in html
    assert "20 h of 20 h" in html
    assert "Renews on" in html


def test_account_page_without_hours_offers_the_books(demo_catalog: Show) -> None:
    user = User.objects.create_user("sam@example.com", PASSWORD)

    html = signed_in(user, "en").get(reverse("accounts:account")).content.decode()

    assert "Your plan has no audiobook hours." in html
    assert reverse("web:audiobook-list") in html


def test_demo_books_in_both_languages_with_chapters_across_parts(
    demo_catalog: Show,
) -> None:
    books = list(Audiobook.objects.prefetch_related("parts", "chapters"))

    assert {b.language for b in books} == {"es", "en"}
    for book in books:
        parts = list(book.parts.all())
        assert len(parts) >= 2
        assert book.duration_seconds == sum(p.duration_seconds for p in parts)
        assert book.sample_audio is not None
        assert book.sample_audio.duration_seconds == book.sample_seconds
        boundaries = [p.start_seconds for p in parts[1:]]
        starts = [c.start_seconds for c in book.chapters.all()] + [
            book.duration_seconds
        ]
        # Some chapter begins in one part and ends in the next.
        assert any(
            a < boundary < b
            for a, b in zip(starts, starts[1:], strict=False)
            for boundary in boundaries
        )


def test_demo_books_are_restored_when_their_audio_is_lost(
    demo_catalog: Show,
) -> None:
    book = Audiobook.objects.get(slug="small-servers-big-audiences")
    part = book.parts.select_related("audio").get(position=2)
    Path(part.audio.file.path).unlink()

    assert "0 audiobook(s) added" in demo.demo_load()

    part.refresh_from_db()
    assert Path(part.audio.file.path).exists()
