"""Audiobooks: a book in audio parts on one timeline, and its chapters.

Part of ``catalog.models`` (which imports these), kept apart by size.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondas.catalog.validators import bcp47_validator
from ondas.core.models import TimestampedModel


class Audiobook(TimestampedModel):
    """A book in several audio parts, heard as one continuous timeline.

    A draft (``status``) is the studio's until its makers publish it: the
    catalog's selectors, the API and the search index leave it out.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    authors = models.CharField(_("authors"), max_length=255)
    narrators = models.CharField(_("narrators"), max_length=255, blank=True)
    publisher = models.CharField(_("publisher"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language"), max_length=35, validators=[bcp47_validator]
    )
    categories = models.ManyToManyField(
        "catalog.Category", related_name="audiobooks", blank=True
    )
    cover = models.ImageField(_("cover"), upload_to="artwork/", blank=True)
    published_at = models.DateTimeField(_("published"))
    # Books made before drafts existed, and imports, are published.
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.PUBLISHED,
        db_default=Status.PUBLISHED,
    )
    # Sum of the parts' durations, kept with them by the services.
    duration_seconds = models.FloatField(_("duration in seconds"), default=0)
    sample_seconds = models.PositiveIntegerField(
        _("free sample (seconds)"),
        default=300,
        help_text=_(
            "Everyone may hear this much from the start, without an allowance."
        ),
    )
    # The sample as a file of its own, so it can be served without a byte-range
    # fence around the first part.
    sample_audio = models.ForeignKey(
        "catalog.AudioFile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class AudiobookPart(models.Model):
    """One audio file of a book; ``start_seconds`` is where it sits on the timeline."""

    audiobook = models.ForeignKey(
        Audiobook, on_delete=models.CASCADE, related_name="parts"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=255, blank=True)
    audio = models.ForeignKey(
        "catalog.AudioFile", on_delete=models.PROTECT, related_name="+"
    )
    start_seconds = models.FloatField(_("starts at (seconds)"), default=0)
    duration_seconds = models.FloatField(
        _("duration in seconds"), validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["audiobook", "position"], name="catalog_audiobookpart_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.audiobook_id}#{self.position}"


class AudiobookChapter(models.Model):
    """A chapter on the book's timeline; it may begin in one part and end in another."""

    audiobook = models.ForeignKey(
        Audiobook, on_delete=models.CASCADE, related_name="chapters"
    )
    start_seconds = models.FloatField(
        _("start (seconds)"), validators=[MinValueValidator(0)]
    )
    title = models.CharField(_("title"), max_length=255)

    class Meta:
        ordering = ["start_seconds"]
        constraints = [
            models.UniqueConstraint(
                fields=["audiobook", "start_seconds"], name="catalog_bookchapter_start"
            )
        ]

    def __str__(self) -> str:
        return self.title
