"""Audiobooks made and edited in the studio.

A book made here is an ordinary catalog book
(``catalog.services.books_authored``); its creator becomes its owner in the
same transaction. Parts come from the person's own uploads only: an audio id
is taken when a finished ``Upload`` of the acting user stored it, and any
other id (another creator's upload, a show's episode audio, a guess) is
refused with ``AudioNotYours`` before anything changes.
"""

from __future__ import annotations

import logging

from django.db import transaction

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, AudiobookPart, AudioFile
from ondas.catalog.services.books_authored import (
    BookInput,
    Direction,
    book_part_add,
    book_part_move,
    book_part_remove,
    book_part_rename,
    studio_book_create,
    studio_book_update,
)
from ondas.studio.errors import AudioNotYours, StudioForbidden
from ondas.studio.models import Role
from ondas.studio.selectors import studio_create_allowed
from ondas.studio.services.members import membership_grant
from ondas.studio.uploads.models import Upload

logger = logging.getLogger(__name__)


def audio_of_own_upload(*, user: User, audio_id: int | None) -> AudioFile:
    """The audio a finished upload of ``user`` stored; raise AudioNotYours."""
    upload = (
        Upload.objects.select_related("audio")
        .filter(owner=user, audio_id=audio_id, completed_at__isnull=False)
        .first()
        if audio_id is not None
        else None
    )
    if upload is None or upload.audio is None:
        raise AudioNotYours()
    return upload.audio


@transaction.atomic
def book_create_in_studio(
    *, data: BookInput, audio_id: int | None, part_title: str, acting_user: User
) -> Audiobook:
    """Create a book with its first part and make ``acting_user`` its owner.

    Raises StudioForbidden unless the person is a creator or staff, and
    AudioNotYours unless the audio is from their own upload.
    """
    if not studio_create_allowed(user=acting_user):
        raise StudioForbidden()
    audio = audio_of_own_upload(user=acting_user, audio_id=audio_id)
    book = studio_book_create(data=data, first_part=audio, first_part_title=part_title)
    membership_grant(target=book, user=acting_user, role=Role.OWNER)
    logger.info("User %s created audiobook %s in the studio", acting_user.pk, book.pk)
    return book


def book_update_in_studio(
    *, book: Audiobook, data: BookInput, acting_user: User
) -> Audiobook:
    """Save the studio form's values on ``book`` (an editor's or owner's action)."""
    updated = studio_book_update(book=book, data=data)
    logger.info("User %s edited audiobook %s", acting_user.pk, book.pk)
    return updated


def book_part_add_in_studio(
    *, book: Audiobook, audio_id: int | None, title: str, acting_user: User
) -> AudiobookPart:
    """Append a part made from one of ``acting_user``'s uploads (AudioNotYours)."""
    audio = audio_of_own_upload(user=acting_user, audio_id=audio_id)
    part = book_part_add(book=book, audio=audio, title=title)
    logger.info("User %s added part %s to book %s", acting_user.pk, part.pk, book.pk)
    return part


def book_part_move_in_studio(
    *, part: AudiobookPart, direction: Direction, acting_user: User
) -> AudiobookPart:
    moved = book_part_move(part=part, direction=direction)
    logger.info("User %s moved part %s %s", acting_user.pk, part.pk, direction)
    return moved


def book_part_rename_in_studio(
    *, part: AudiobookPart, title: str, acting_user: User
) -> AudiobookPart:
    renamed = book_part_rename(part=part, title=title)
    logger.info("User %s renamed part %s", acting_user.pk, part.pk)
    return renamed


def book_part_remove_in_studio(*, part: AudiobookPart, acting_user: User) -> Audiobook:
    """Remove the part (BookLastPart for the book's only one)."""
    book = book_part_remove(part=part)
    logger.info("User %s removed part %s of book %s", acting_user.pk, part.pk, book.pk)
    return book
