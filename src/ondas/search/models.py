"""The search index: one row (a *document*) per thing a listener can find.

A document is a show, an episode, an audiobook, a person (a show's host, a
feed's ``podcast:person``, a book's author or narrator), a chapter (of an
episode or a book, with the second it starts at) or one cue of a stored
transcript (with its second). ``title`` and ``body`` are what is matched;
the engine's own structure is kept from them by triggers the migrations
create (an FTS5 table on SQLite, a ``tsvector`` column on PostgreSQL; see
``search.engines``).

Whether an episode's documents may be seen is not stored: the query reads it
from the episode (``catalog.visibility``), so unpublishing, deleting and a
publication time still to come take effect at once, by the clock alone.
"""

from __future__ import annotations

from django.db import models

from ondas.catalog.models import Audiobook, Episode, Show


class SearchDocument(models.Model):
    class Kind(models.TextChoices):
        SHOW = "show"
        EPISODE = "episode"
        AUDIOBOOK = "audiobook"
        PERSON = "person"
        CHAPTER = "chapter"
        BOOK_CHAPTER = "book_chapter"
        TRANSCRIPT = "transcript"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    show = models.ForeignKey(
        Show, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    audiobook = models.ForeignKey(
        Audiobook, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    # Title and body folded (lower case, no accents): PostgreSQL's trigrams.
    folded = models.TextField(blank=True)
    # A PostgreSQL text search configuration: "spanish", "english" or "simple".
    config = models.CharField(max_length=16, default="simple")
    start_seconds = models.FloatField(null=True, blank=True)
    # Transcript cues: the stored file they were read from
    # ("<transcript id>:<file name>"), so a rebuild reads only new files.
    source = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["show", "kind"], name="search_doc_show_kind"),
            models.Index(fields=["audiobook"], name="search_doc_book"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.title or self.body[:40]}"


class SearchVector(models.Model):
    """A document's meaning as the ``semantic`` extra's model embeds it: a
    unit vector of float32, little-endian, as bytes (``search.semantic``).
    Written with the document and gone with it (a rebuild makes new rows)."""

    document = models.OneToOneField(
        SearchDocument, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"vector of {self.document_id}"


class SearchIndexState(models.Model):
    """One row (id 1): tokens that change when vectors are written (``version``)
    and when the whole index is rebuilt (``generation``), so that each
    process knows when its matrix of vectors is stale (``search.semantic``);
    and one that changes on every write to the documents (``documents``), under
    which results are kept (``search.cache``)."""

    generation = models.CharField(max_length=32, blank=True)
    version = models.CharField(max_length=32, blank=True)
    documents = models.CharField(max_length=32, blank=True, db_default="")

    def __str__(self) -> str:
        return f"index {self.generation}/{self.version}"
