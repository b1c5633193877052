"""A studio book kept as a draft: the studio shows it to its makers, and
listeners find it nowhere (catalog pages, the API, search) until it is
published."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client

from ondas.catalog.models import Audiobook, AudioFile
from ondas.catalog.services import audio_file_create
from ondas.catalog.services.books_authored import (
    BookInput,
    studio_book_create,
    studio_book_update,
)
from ondas.studio.models import Role
from ondas.studio.services.members import membership_grant
from tests.studio.conftest import Cast

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


def part_audio() -> AudioFile:
    return audio_file_create(
        name="parte-1.mp3",
        content=io.BytesIO(b"ID3" + bytes(1024)),
        mime_type="audio/mpeg",
        duration_seconds=60,
    )


def book_input(*, draft: bool) -> BookInput:
    return BookInput(
        title="Cumbres Nevadas",
        authors="Lucía Ortega",
        language="es",
        description="<p>Una novela de montaña.</p>",
        draft=draft,
    )


@pytest.fixture
def draft_book(cast: Cast, django_capture_on_commit_callbacks: Capture) -> Audiobook:
    # The search index is updated once the transaction commits: run that too.
    with django_capture_on_commit_callbacks(execute=True):
        book = studio_book_create(data=book_input(draft=True), first_part=part_audio())
        membership_grant(target=book, user=cast.owner, role=Role.OWNER)
    return book


def seen_by_listeners(client: Client, book: Audiobook) -> dict[str, bool]:
    """Where a listener's client finds the book."""
    return {
        "list": book.title in client.get("/books/").content.decode(),
        "page": client.get(f"/books/{book.slug}/").status_code == 200,
        "api list": book.slug in client.get("/api/v1/audiobooks").content.decode(),
        "api book": client.get(f"/api/v1/audiobooks/{book.slug}").status_code == 200,
        "search": f"/books/{book.slug}/"
        in client.get("/search/?q=Cumbres").content.decode(),
    }


def test_draft_book_is_hidden_from_listeners(
    client: Client, cast: Cast, draft_book: Audiobook
) -> None:
    client.force_login(cast.listener)

    assert draft_book.status == Audiobook.Status.DRAFT
    assert seen_by_listeners(client, draft_book) == dict.fromkeys(
        ["list", "page", "api list", "api book", "search"], False
    )


def test_draft_book_is_in_its_owners_studio(
    client: Client, cast: Cast, draft_book: Audiobook
) -> None:
    client.force_login(cast.owner)

    dashboard = client.get("/studio/").content.decode()
    edit = client.get(f"/studio/books/{draft_book.pk}/")

    assert 'Cumbres Nevadas</a> <span class="badge">Audiobook</span>' in dashboard
    # The title leads to the book's studio page, not to its public 404.
    assert f'<a href="/studio/books/{draft_book.pk}/">Cumbres Nevadas</a>' in dashboard
    assert f'href="/books/{draft_book.slug}/"' not in dashboard
    assert '<span class="badge">Draft</span>' in dashboard
    assert edit.status_code == 200
    assert 'aria-describedby="id_draft_helptext" id="id_draft" checked' in (
        edit.content.decode()
    )


def test_publishing_a_draft_book_shows_it_everywhere(
    client: Client,
    cast: Cast,
    draft_book: Audiobook,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        published = studio_book_update(book=draft_book, data=book_input(draft=False))
    client.force_login(cast.listener)

    assert published.status == Audiobook.Status.PUBLISHED
    assert published.published_at > draft_book.published_at
    assert seen_by_listeners(client, published) == dict.fromkeys(
        ["list", "page", "api list", "api book", "search"], True
    )


def test_book_made_published_is_seen_at_once(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        book = studio_book_create(data=book_input(draft=False), first_part=part_audio())
    client.force_login(cast.listener)

    assert book.status == Audiobook.Status.PUBLISHED
    assert all(seen_by_listeners(client, book).values())


def test_draft_checkbox_in_the_studio_form_keeps_the_book_hidden(
    client: Client, cast: Cast, draft_book: Audiobook
) -> None:
    client.force_login(cast.owner)
    form = {
        "title": "Cumbres Nevadas",
        "authors": "Lucía Ortega",
        "language": "es",
        "description": "<p>Una novela de montaña.</p>",
        "sample": "5:00",
        "draft": "on",
    }

    response = client.post(f"/studio/books/{draft_book.pk}/", form)
    kept = Audiobook.objects.get(pk=draft_book.pk)
    client.post(f"/studio/books/{draft_book.pk}/", {**form, "draft": ""})
    published = Audiobook.objects.get(pk=draft_book.pk)

    assert response.status_code == 302
    assert kept.status == Audiobook.Status.DRAFT
    assert published.status == Audiobook.Status.PUBLISHED


def test_draft_books_parts_are_nobodys_to_hear(
    client: Client,
    cast: Cast,
    draft_book: Audiobook,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    part = draft_book.parts.get()
    client.force_login(cast.listener)

    hidden = client.get(f"/audio/{part.audio_id}.mp3", HTTP_RANGE="bytes=0-9")
    with django_capture_on_commit_callbacks(execute=True):
        studio_book_update(book=draft_book, data=book_input(draft=False))
    published = client.get(f"/audio/{part.audio_id}.mp3", HTTP_RANGE="bytes=0-9")

    assert hidden.status_code == 404
    # Published, the part is a book's: heard with an allowance, refused (403,
    # the offer) without one; a draft's is no file at all.
    assert published.status_code == 403
