"""Writes to the search index: a show's or a book's documents rebuilt.

Called after the writes they follow have committed (``search.signals``): the
episodes a write changed and their show's own documents, or a whole show when
the write could not say which; and by ``ondas search reindex`` for
everything. Rebuilding re-reads episodes and chapters (a few queries however
many there are) but reads a transcript file only when it is new: cue documents remember their file
(``SearchDocument.source``). Transcripts held only at the publisher's
address, and stored files that are neither WebVTT nor SRT, are not indexed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Iterable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import transaction

from ondas.catalog.errors import TranscriptInvalid
from ondas.catalog.models import (
    Audiobook,
    Chapter,
    Episode,
    FeedPerson,
    Show,
    Transcript,
)
from ondas.catalog.transcript_files import transcript_file_read
from ondas.search.bulk import documents_insert
from ondas.search.cache import index_version_bump
from ondas.search.expansions import chapter_expansions, prepare
from ondas.search.models import SearchDocument
from ondas.search.semantic import vectors_new_generation, vectors_write
from ondas.search.text import config_for_language, fold, plain

logger = logging.getLogger(__name__)

Kind = SearchDocument.Kind
# The largest transcript file read, as the studio accepts.
MAX_TRANSCRIPT_BYTES = 5_000_000


def _document(**fields: object) -> SearchDocument:
    document = SearchDocument(**fields)
    document.title = document.title[:255]
    document.folded = fold(f"{document.title} {document.body}")
    return document


P = ParamSpec("P")
R = TypeVar("R")


def _bumps(service: Callable[P, R]) -> Callable[P, R]:
    """Give the index a new version once ``service`` has written (inside its
    transaction when it has one): results kept before are not used again."""

    @functools.wraps(service)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        result = service(*args, **kwargs)
        index_version_bump()
        return result

    return wrapped


def _source(transcript: Transcript) -> str:
    return f"{transcript.pk}:{transcript.file.name}"[:255]


def _cue_documents(
    transcript: Transcript, *, episode: Episode, config: str
) -> list[SearchDocument]:
    limit = int(getattr(settings, "ONDAS_TRANSCRIPT_MAX_BYTES", MAX_TRANSCRIPT_BYTES))
    try:
        with transcript.file.open("rb") as stored:
            data = stored.read(limit + 1)
        parsed = transcript_file_read(data, max_bytes=limit, name=transcript.file.name)
    except (OSError, TranscriptInvalid) as exc:
        logger.info("Transcript %s not indexed: %s", transcript.pk, exc)
        return []
    language = (
        config_for_language(transcript.language) if transcript.language else config
    )
    return [
        _document(
            kind=Kind.TRANSCRIPT,
            show_id=episode.show_id,
            episode=episode,
            body=plain(cue.text),
            config=language,
            start_seconds=cue.start,
            source=_source(transcript),
        )
        for cue in parsed.cues
        if plain(cue.text)
    ]


def _people(names: Iterable[str], **fields: object) -> list[SearchDocument]:
    seen: set[str] = set()
    found = []
    for name in names:
        name = name.strip()
        if name and fold(name) not in seen:
            seen.add(fold(name))
            found.append(_document(kind=Kind.PERSON, title=name, **fields))
    return found


# Episodes rebuilt per transaction: a big show never holds the (SQLite)
# write lock for long, so writers beside an import or a refresh wait little.
EPISODES_PER_TRANSACTION = 200


def _episode_documents(episodes: dict[int, Episode]) -> list[SearchDocument]:
    """Fresh documents of these episodes (each with its ``show`` loaded), once
    their old ones are gone; cues only from transcript files not yet read."""
    configs = {
        e.show_id: config_for_language(e.show.language) for e in episodes.values()
    }
    # Each description made plain once, and split and folded once for all
    # the chapters of its episode.
    descriptions = {pk: plain(e.description) for pk, e in episodes.items()}
    prepared = {pk: prepare(text) for pk, text in descriptions.items()}
    fresh = [
        _document(
            kind=Kind.EPISODE,
            show_id=e.show_id,
            episode_id=pk,
            title=e.title,
            body=descriptions[pk],
            config=configs[e.show_id],
        )
        for pk, e in episodes.items()
    ]
    fresh += [
        _document(
            kind=Kind.CHAPTER,
            show_id=episodes[episode_id].show_id,
            episode_id=episode_id,
            title=title,
            # What the title abbreviates, spelled out by the description.
            body=chapter_expansions(title, prepared[episode_id]),
            config=configs[episodes[episode_id].show_id],
            start_seconds=start_seconds,
        )
        for episode_id, title, start_seconds in Chapter.objects.filter(
            episode_id__in=list(episodes)
        )
        .order_by("pk")
        .values_list("episode_id", "title", "start_seconds")
    ]
    transcripts = {
        _source(t): t
        for t in Transcript.objects.filter(episode_id__in=list(episodes)).exclude(
            file=""
        )
    }
    documents = SearchDocument.objects.filter(episode_id__in=list(episodes))
    documents.exclude(kind=Kind.TRANSCRIPT).delete()
    stale = documents.filter(kind=Kind.TRANSCRIPT).exclude(source__in=list(transcripts))
    stale.delete()
    kept = set(documents.filter(kind=Kind.TRANSCRIPT).values_list("source", flat=True))
    for source, transcript in transcripts.items():
        if source not in kept:
            episode = episodes[transcript.episode_id]
            config = configs[episode.show_id]
            fresh += _cue_documents(transcript, episode=episode, config=config)
    return fresh


def _show_documents(show: Show, config: str) -> list[SearchDocument]:
    fresh = [
        _document(
            kind=Kind.SHOW,
            show=show,
            title=show.title,
            body=plain(show.description),
            config=config,
        )
    ]
    people = FeedPerson.objects.filter(show=show).values_list("name", flat=True)
    fresh += _people([show.author, *people], show=show, config=config)
    return fresh


@transaction.atomic
@_bumps
def search_index_show_head(*, show_id: int) -> bool:
    """Rebuild a show's own documents (the show and its people); return
    whether its episodes' documents may stay as they are.

    False when the index has not seen the show whole: never (it was just
    created, or a feed import has just listed it) or in another language
    (each document is stemmed in its show's). A show a feed import is still
    writing is found nowhere: nothing to do until it is listed.
    """
    documents = SearchDocument.objects.filter(show_id=show_id, episode__isnull=True)
    show = Show.objects.filter(pk=show_id).first()
    if show is None:
        SearchDocument.objects.filter(show_id=show_id).delete()
        return True
    if show.importing:
        return True
    config = config_for_language(show.language)
    seen = documents.filter(kind=Kind.SHOW, config=config).exists()
    documents.delete()
    SearchDocument.objects.bulk_create(_show_documents(show, config))
    return seen


@_bumps
def search_index_show(*, show_id: int) -> int:
    """Rebuild the documents of one show; return how many it has now.

    The show's own documents in one transaction, then its episodes' a few
    hundred episodes per transaction (``EPISODES_PER_TRANSACTION``): while
    it runs, a search may see some episodes rebuilt and others not yet.
    """
    documents = SearchDocument.objects.filter(show_id=show_id)
    show = Show.objects.filter(pk=show_id).first()
    if show is None:
        documents.delete()
        return 0
    config = config_for_language(show.language)
    with transaction.atomic():
        documents.filter(episode__isnull=True).delete()
        SearchDocument.objects.bulk_create(_show_documents(show, config))
    episode_ids = list(
        Episode.objects.filter(show=show)
        .exclude(status=Episode.Status.DELETED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        documents.filter(episode__isnull=False).exclude(
            episode_id__in=episode_ids
        ).delete()
    for start in range(0, len(episode_ids), EPISODES_PER_TRANSACTION):
        chunk = episode_ids[start : start + EPISODES_PER_TRANSACTION]
        with transaction.atomic():
            episodes = {e.pk: e for e in Episode.objects.filter(pk__in=chunk)}
            for episode in episodes.values():
                episode.show = show
            fresh = _episode_documents(episodes)
            documents_insert(fresh)
            vectors_write(fresh)
    return documents.count()


@_bumps
def search_index_episodes(
    *, episode_ids: Iterable[int], except_shows: Collection[int] = ()
) -> int:
    """Rebuild the documents of these episodes (their chapters and cues too);
    return how many documents were written.

    An episode that is gone, deleted, or in a show a feed import is still
    writing has none. Episodes of ``except_shows`` are left alone (their
    shows are rebuilt whole). A few hundred episodes per transaction.
    """
    ids = sorted(set(episode_ids))
    written = 0
    for start in range(0, len(ids), EPISODES_PER_TRANSACTION):
        chunk = ids[start : start + EPISODES_PER_TRANSACTION]
        with transaction.atomic():
            # Episodes of a show a feed import is still writing are not
            # loaded at all: each of its batches' commits lands here.
            rows = list(
                Episode.objects.filter(pk__in=chunk, show__importing=False)
                .exclude(status=Episode.Status.DELETED)
                .select_related("show")
            )
            skipped = {e.pk for e in rows if e.show_id in except_shows}
            live = {e.pk: e for e in rows if e.pk not in skipped}
            SearchDocument.objects.filter(episode_id__in=chunk).exclude(
                episode_id__in=skipped | set(live)
            ).delete()
            # Rows gone from the catalog took their documents (a cascade).
            fresh = _episode_documents(live)
            documents_insert(fresh)
            vectors_write(fresh)
            written += len(fresh)
    return written


@transaction.atomic
@_bumps
def search_index_book(*, book_id: int) -> int:
    """Rebuild the documents of one audiobook; return how many it has now (none
    for a draft: listeners do not find it until it is published)."""
    SearchDocument.objects.filter(audiobook_id=book_id).delete()
    book = Audiobook.objects.filter(pk=book_id).first()
    if book is None or book.is_draft:
        return 0
    config = config_for_language(book.language)
    fresh = [
        _document(
            kind=Kind.AUDIOBOOK,
            audiobook=book,
            title=book.title,
            body=plain(book.description),
            config=config,
        )
    ]
    names = [*book.authors.split(","), *book.narrators.split(",")]
    fresh += _people(names, audiobook=book, config=config)
    description = prepare(plain(book.description))
    fresh += [
        _document(
            kind=Kind.BOOK_CHAPTER,
            audiobook=book,
            title=c.title,
            body=chapter_expansions(c.title, description),
            config=config,
            start_seconds=c.start_seconds,
        )
        for c in book.chapters.all()
    ]
    documents_insert(fresh)
    vectors_write(fresh)
    return len(fresh)


@_bumps
def search_reindex(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index from the catalog; return how many documents."""
    SearchDocument.objects.all().delete()
    vectors_new_generation()
    show_ids = list(Show.objects.order_by("pk").values_list("pk", flat=True))
    book_ids = list(Audiobook.objects.order_by("pk").values_list("pk", flat=True))
    total = len(show_ids) + len(book_ids)
    count = 0
    for done, show_id in enumerate(show_ids, start=1):
        count += search_index_show(show_id=show_id)
        if progress:
            progress(done, total)
    for done, book_id in enumerate(book_ids, start=len(show_ids) + 1):
        count += search_index_book(book_id=book_id)
        if progress:
            progress(done, total)
    return count
