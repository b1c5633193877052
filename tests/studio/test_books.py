"""Audiobooks in the studio: create and edit a book, add, reorder, rename and
remove its parts; the audio of a part is only ever the acting person's own
upload."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from ondas.accounts.models import User
from ondas.catalog.errors import BookLastPart
from ondas.catalog.models import Audiobook, AudiobookPart, AudioFile
from ondas.catalog.services.books_authored import BookInput
from ondas.core.errors import ErrorCode
from ondas.studio.errors import AudioNotYours
from ondas.studio.models import Membership, Role
from ondas.studio.services.books import (
    book_create_in_studio,
    book_part_add_in_studio,
    book_part_remove_in_studio,
)
from ondas.studio.uploads.services import upload_receive_file
from tests.accounts.factories import user_make
from tests.support.studio_audio import audio_bytes

pytestmark = pytest.mark.django_db


def own_audio(user: User, *, seconds: int = 2, name: str = "parte.mp3") -> int:
    """The id of the audio a finished upload of ``user`` stored."""
    received = SimpleUploadedFile(
        name, audio_bytes("mp3", seconds=seconds), "audio/mpeg"
    )
    upload = upload_receive_file(owner=user, received=received)
    assert upload.audio_id is not None
    return upload.audio_id


def book_input(title: str = "El Libro del Servidor") -> BookInput:
    return BookInput(title=title, authors="Ana Pérez", language="es", narrators="Luis")


@pytest.fixture
def owner(media_root: Path) -> User:
    return user_make(email="autora@example.com", role=User.Role.CREATOR)


@pytest.fixture
def book(owner: User) -> Audiobook:
    return book_create_in_studio(
        data=book_input(),
        audio_id=own_audio(owner, seconds=2),
        part_title="Uno",
        acting_user=owner,
    )


def _book_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "title": "Un Libro Nuevo",
        "authors": "Ana Pérez",
        "narrators": "Luis Gómez",
        "language": "es-MX",
        "description": "<p>Sobre <b>servidores</b>.</p><script>x()</script>",
        "sample": "1:30",
    }
    form.update(changes)
    return form


def _parts(book: Audiobook) -> list[tuple[int, str, float, float]]:
    return [
        (p.position, p.title, p.start_seconds, p.duration_seconds)
        for p in AudiobookPart.objects.filter(audiobook=book).order_by("position")
    ]


def test_create_makes_the_creator_owner_with_the_first_part(
    client: Client, owner: User
) -> None:
    audio_id = own_audio(owner, seconds=3)
    client.force_login(owner)
    response = client.post(
        "/studio/books/new/", _book_form(audio_id=audio_id, part_title="Capítulo 1")
    )
    book = Audiobook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/studio/books/{book.pk}/"
    assert (book.title, book.authors, book.narrators, book.language) == (
        "Un Libro Nuevo",
        "Ana Pérez",
        "Luis Gómez",
        "es-MX",
    )
    assert book.sample_seconds == 90
    assert "<script>" not in book.description
    assert book.slug == "un-libro-nuevo"
    (part,) = AudiobookPart.objects.filter(audiobook=book)
    assert (part.position, part.title, part.audio_id) == (1, "Capítulo 1", audio_id)
    assert book.duration_seconds == pytest.approx(part.duration_seconds)
    membership = Membership.objects.get(audiobook=book)
    assert (membership.user_id, membership.role) == (owner.pk, Role.OWNER)
    page = client.get("/studio/").content.decode()
    assert f'href="/studio/books/{book.pk}/"' in page


def test_create_with_another_persons_audio_is_refused_and_makes_nothing(
    client: Client, owner: User
) -> None:
    someone = user_make(email="alguien@example.com", role=User.Role.CREATOR)
    theirs = own_audio(someone)
    client.force_login(owner)
    response = client.post("/studio/books/new/", _book_form(audio_id=theirs))
    assert response.status_code == 404
    assert "This audio is not one of your uploads." in response.content.decode()
    assert not Audiobook.objects.exists()
    assert not Membership.objects.filter(audiobook__isnull=False).exists()


def test_create_without_the_first_part_says_so(client: Client, owner: User) -> None:
    client.force_login(owner)
    response = client.post("/studio/books/new/", _book_form())
    assert response.status_code == 400
    assert "Upload the book&#x27;s first part." in response.content.decode()
    assert not Audiobook.objects.exists()


def test_a_listener_cannot_create_a_book(client: Client, media_root: Path) -> None:
    listener = user_make(email="oyente@example.com")
    audio_id = own_audio(listener)
    client.force_login(listener)
    assert client.get("/studio/books/new/").status_code == 403
    assert (
        client.post("/studio/books/new/", _book_form(audio_id=audio_id)).status_code
        == 403
    )
    assert not Audiobook.objects.exists()


def test_edit_saves_the_details_and_keeps_the_address(
    client: Client, owner: User, book: Audiobook
) -> None:
    client.force_login(owner)
    page = client.get(f"/studio/books/{book.pk}/")
    assert page.status_code == 200
    assert 'value="5:00"' in page.content.decode()
    response = client.post(f"/studio/books/{book.pk}/", _book_form(sample="10:00"))
    assert response.status_code == 302
    book.refresh_from_db()
    assert (book.title, book.narrators, book.sample_seconds) == (
        "Un Libro Nuevo",
        "Luis Gómez",
        600,
    )
    assert book.slug == "el-libro-del-servidor"


def test_edit_refuses_a_bad_sample_and_a_bad_language(
    client: Client, owner: User, book: Audiobook
) -> None:
    client.force_login(owner)
    response = client.post(
        f"/studio/books/{book.pk}/", _book_form(sample="5 minutes", language="??")
    )
    assert response.status_code == 400
    assert (
        "Write the sample&#x27;s length as 5:00 or 1:02:03."
        in response.content.decode()
    )
    book.refresh_from_db()
    assert (book.title, book.sample_seconds) == ("El Libro del Servidor", 300)


def _image(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, 90).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_cover_that_is_not_square_is_refused_or_fitted_when_asked(
    client: Client, owner: User, book: Audiobook, media_root: Path
) -> None:
    client.force_login(owner)
    url = f"/studio/books/{book.pk}/"
    wide = _image((2000, 1500))
    refused = client.post(
        url, _book_form(cover=SimpleUploadedFile("c.png", wide, "image/png"))
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "The image is 2000x1500; artwork must be square." in text
    assert "Crop and scale the cover for me" in text
    book.refresh_from_db()
    assert not book.cover
    fitted = client.post(
        url,
        _book_form(
            cover=SimpleUploadedFile("c.png", wide, "image/png"), cover_fit="on"
        ),
    )
    assert fitted.status_code == 302
    book.refresh_from_db()
    with Image.open(media_root / book.cover.name) as stored:
        assert stored.size == (1500, 1500)


def test_add_part_from_own_upload_goes_to_the_end_of_the_timeline(
    client: Client, owner: User, book: Audiobook
) -> None:
    audio_id = own_audio(owner, seconds=3)
    client.force_login(owner)
    response = client.post(
        f"/studio/books/{book.pk}/parts/", {"audio_id": audio_id, "title": "Dos"}
    )
    assert response.status_code == 302
    parts = _parts(book)
    assert [(p[0], p[1]) for p in parts] == [(1, "Uno"), (2, "Dos")]
    assert parts[1][2] == pytest.approx(parts[0][3])
    book.refresh_from_db()
    assert book.duration_seconds == pytest.approx(parts[0][3] + parts[1][3])


def test_add_part_with_another_persons_audio_is_refused(
    client: Client, owner: User, book: Audiobook
) -> None:
    someone = user_make(email="alguien@example.com", role=User.Role.CREATOR)
    theirs = own_audio(someone)
    before = _parts(book)
    client.force_login(owner)
    response = client.post(f"/studio/books/{book.pk}/parts/", {"audio_id": theirs})
    assert response.status_code == 404
    assert "This audio is not one of your uploads." in response.content.decode()
    assert _parts(book) == before
    # Nor through the service, nor with an id no upload stored.
    with pytest.raises(AudioNotYours) as refused:
        book_part_add_in_studio(book=book, audio_id=theirs, title="", acting_user=owner)
    assert refused.value.code == ErrorCode.STUDIO_AUDIO_NOT_YOURS
    with pytest.raises(AudioNotYours):
        book_part_add_in_studio(
            book=book, audio_id=theirs + 1000, title="", acting_user=owner
        )
    assert _parts(book) == before


def test_parts_move_up_and_down_without_javascript(
    client: Client, owner: User, book: Audiobook
) -> None:
    for title, seconds in (("Dos", 3), ("Tres", 4)):
        book_part_add_in_studio(
            book=book,
            audio_id=own_audio(owner, seconds=seconds),
            title=title,
            acting_user=owner,
        )
    third = AudiobookPart.objects.get(audiobook=book, title="Tres")
    client.force_login(owner)
    url = f"/studio/books/{book.pk}/parts/{third.pk}/move/"
    assert client.post(url, {"direction": "up"}).status_code == 302
    assert client.post(url, {"direction": "up"}).status_code == 302
    # Already first: nothing moves.
    assert client.post(url, {"direction": "up"}).status_code == 302
    parts = _parts(book)
    assert [p[1] for p in parts] == ["Tres", "Uno", "Dos"]
    assert [p[2] for p in parts] == pytest.approx(
        [0, parts[0][3], parts[0][3] + parts[1][3]]
    )
    assert client.post(url, {"direction": "down"}).status_code == 302
    assert [p[1] for p in _parts(book)] == ["Uno", "Tres", "Dos"]
    assert client.post(url, {"direction": "sideways"}).status_code == 400
    page = client.get(f"/studio/books/{book.pk}/").content.decode()
    assert 'name="direction" value="up"' in page


def test_rename_a_part(client: Client, owner: User, book: Audiobook) -> None:
    part = AudiobookPart.objects.get(audiobook=book)
    client.force_login(owner)
    url = f"/studio/books/{book.pk}/parts/{part.pk}/rename/"
    assert client.post(url, {"title": "  Prólogo  "}).status_code == 302
    part.refresh_from_db()
    assert part.title == "Prólogo"


def test_remove_asks_first_then_closes_the_gap_and_frees_the_audio(
    client: Client,
    owner: User,
    book: Audiobook,
    media_root: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    book_part_add_in_studio(
        book=book, audio_id=own_audio(owner, seconds=3), title="Dos", acting_user=owner
    )
    first = AudiobookPart.objects.get(audiobook=book, position=1)
    audio = AudioFile.objects.get(pk=first.audio_id)
    client.force_login(owner)
    url = f"/studio/books/{book.pk}/parts/{first.pk}/remove/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "leaves the book and its audio file is deleted" in confirm.content.decode()
    assert AudiobookPart.objects.filter(pk=first.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    parts = _parts(book)
    assert [(p[0], p[1], p[2]) for p in parts] == [(1, "Dos", 0)]
    book.refresh_from_db()
    assert book.duration_seconds == pytest.approx(parts[0][3])
    assert not AudioFile.objects.filter(pk=audio.pk).exists()
    assert not (media_root / audio.file.name).exists()


def test_the_last_part_stays(client: Client, owner: User, book: Audiobook) -> None:
    part = AudiobookPart.objects.get(audiobook=book)
    with pytest.raises(BookLastPart) as refused:
        book_part_remove_in_studio(part=part, acting_user=owner)
    assert refused.value.code == ErrorCode.BOOK_LAST_PART
    client.force_login(owner)
    response = client.post(f"/studio/books/{book.pk}/parts/{part.pk}/remove/")
    assert response.status_code == 409
    assert AudiobookPart.objects.filter(pk=part.pk).exists()


def test_a_part_of_another_book_is_not_found(
    client: Client, owner: User, book: Audiobook
) -> None:
    other = book_create_in_studio(
        data=book_input("Otro Libro"),
        audio_id=own_audio(owner),
        part_title="",
        acting_user=owner,
    )
    theirs = AudiobookPart.objects.get(audiobook=other)
    client.force_login(owner)
    url = f"/studio/books/{book.pk}/parts/{theirs.pk}/rename/"
    assert client.post(url, {"title": "Robado"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == ""


def test_the_public_page_shows_the_studio_book(
    client: Client, owner: User, book: Audiobook
) -> None:
    page = client.get(f"/books/{book.slug}/")
    assert page.status_code == 200
    assert "El Libro del Servidor" in page.content.decode()
