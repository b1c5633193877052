"""Keep the index up to date on every write, once each transaction commits.

By signals rather than from services, because the services that write
content (catalog, studio, ingest, the admin) sit at or beside this layer and
may not import search. Shows: catalog's ``show_content_changed``, which goes
out from every write a feed could show (saves, deletes, bulk writes of shows,
episodes, chapters, transcripts and people; ``catalog.versioning``) and names
the episodes the write changed: those are rebuilt, with their chapters and
cues, and the show's own documents; a bump that names none of them (None)
rebuilds the whole show. Audiobooks have no content version: their own and
their chapters' saves and deletes.

What one transaction touched is rebuilt once, after it commits; a
rolled-back write leaves it queued, and the next commit rebuilds it too (a
rebuild changes nothing that was right).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from ondas.catalog.models import Audiobook, AudiobookChapter, Show
from ondas.catalog.signals import show_content_changed
from ondas.search.cache import index_version_bump
from ondas.search.services import (
    search_index_book,
    search_index_episodes,
    search_index_show,
    search_index_show_head,
)

_queued = threading.local()


@dataclass
class _Pending:
    shows: set[int] = field(default_factory=set)  # whole shows
    heads: set[int] = field(default_factory=set)  # a show's own documents
    episodes: set[int] = field(default_factory=set)
    books: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.shows or self.heads or self.episodes or self.books)


def _pending(using: str) -> _Pending:
    queues: dict[str, _Pending] = getattr(_queued, "queues", {})
    _queued.queues = queues
    return queues.setdefault(using, _Pending())


def _flush(using: str) -> None:
    pending = _pending(using)
    touched = bool(pending)
    while pending:
        shows, heads = set(pending.shows), pending.heads - pending.shows
        episodes, books = set(pending.episodes), set(pending.books)
        pending.shows.clear()
        pending.heads.clear()
        pending.episodes.clear()
        pending.books.clear()
        for show_id in sorted(heads):
            # A show the index has not seen whole (just listed, or its
            # language changed): all of it.
            if not search_index_show_head(show_id=show_id):
                shows.add(show_id)
        importing = set(
            Show.objects.filter(pk__in=shows, importing=True).values_list(
                "pk", flat=True
            )
        )
        for show_id in sorted(shows - importing):
            # A feed import still writing the show: nobody finds it yet, and
            # listing it at the end (``show_listed``) brings the rebuild.
            search_index_show(show_id=show_id)
        search_index_episodes(episode_ids=episodes, except_shows=shows)
        for book_id in sorted(books):
            search_index_book(book_id=book_id)
    if touched:
        # Also when nothing was rebuilt (a show a feed import writes again is
        # hidden by the query alone): results kept before must go.
        index_version_bump()


def _queue(using: str) -> _Pending:
    transaction.on_commit(lambda: _flush(using), using=using)
    return _pending(using)


def _shows_changed(
    *,
    show_ids: list[int],
    using: str,
    episode_ids: Iterable[int] | None = None,
    **kwargs: object,
) -> None:
    pending = _queue(using)
    if episode_ids is None:
        pending.shows.update(show_ids)
    else:
        pending.heads.update(show_ids)
        pending.episodes.update(episode_ids)


def _book_saved(*, instance: Audiobook, using: str, **kwargs: object) -> None:
    _queue(using).books.add(instance.pk)


def _chapter_saved(*, instance: AudiobookChapter, using: str, **kwargs: object) -> None:
    _queue(using).books.add(instance.audiobook_id)


def connect() -> None:
    """Listen to the catalog's writes (``SearchConfig.ready``)."""
    show_content_changed.connect(_shows_changed, dispatch_uid="search-shows")
    for signal in (post_save, post_delete):
        signal.connect(_book_saved, sender=Audiobook, dispatch_uid=f"search-{signal}")
        signal.connect(
            _chapter_saved, sender=AudiobookChapter, dispatch_uid=f"search-c-{signal}"
        )
