"""Keep the index up to date on every write, once each transaction commits.

By signals rather than from services, because the services that write
content (catalog, studio, ingest, the admin) sit at or beside this layer and
may not import search. Shows: catalog's ``show_content_changed``, which goes
out from every write a feed could show (saves, deletes, bulk writes of shows,
episodes, chapters, transcripts and people; ``catalog.versioning``).
Audiobooks have no content version: their own and their chapters' saves
and deletes. The shows and books touched in one transaction are rebuilt once,
after it commits; a rolled-back write leaves them queued, and the next
commit rebuilds them too (a rebuild changes nothing that was right).
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from ondas.catalog.models import Audiobook, AudiobookChapter, Show
from ondas.catalog.signals import show_content_changed
from ondas.search.services import search_index_book, search_index_show

_queued = threading.local()


def _pending(using: str) -> tuple[set[int], set[int]]:
    queues: dict[str, tuple[set[int], set[int]]] = getattr(_queued, "queues", {})
    _queued.queues = queues
    return queues.setdefault(using, (set(), set()))


def _flush(using: str) -> None:
    shows, books = _pending(using)
    while shows or books:
        if shows:
            show_id = shows.pop()
            # A feed import still writing the show: nobody finds it yet, and
            # listing it at the end (``show_listed``) brings the rebuild.
            if not Show.objects.filter(pk=show_id, importing=True).exists():
                search_index_show(show_id=show_id)
        else:
            search_index_book(book_id=books.pop())


def _queue(*, using: str, show_ids: Any = (), book_ids: Any = ()) -> None:
    shows, books = _pending(using)
    shows.update(show_ids)
    books.update(book_ids)
    transaction.on_commit(lambda: _flush(using), using=using)


def _shows_changed(*, show_ids: list[int], using: str, **kwargs: object) -> None:
    _queue(using=using, show_ids=show_ids)


def _book_saved(*, instance: Audiobook, using: str, **kwargs: object) -> None:
    _queue(using=using, book_ids=[instance.pk])


def _chapter_saved(*, instance: AudiobookChapter, using: str, **kwargs: object) -> None:
    _queue(using=using, book_ids=[instance.audiobook_id])


def connect() -> None:
    """Listen to the catalog's writes (``SearchConfig.ready``)."""
    show_content_changed.connect(_shows_changed, dispatch_uid="search-shows")
    for signal in (post_save, post_delete):
        signal.connect(_book_saved, sender=Audiobook, dispatch_uid=f"search-{signal}")
        signal.connect(
            _chapter_saved, sender=AudiobookChapter, dispatch_uid=f"search-c-{signal}"
        )
