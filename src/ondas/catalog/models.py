"""Shows, episodes, their audio files, chapters and transcripts, and Apple's
categories.

Every model a feed shows is ``FeedContent``: writing one bumps its shows'
``content_version`` (``catalog.versioning`` says how, and where).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ondas.catalog.book_models import Audiobook, AudiobookChapter, AudiobookPart
from ondas.catalog.validators import BCP47_RE, bcp47_validator
from ondas.catalog.versioning import VERSION_FIELDS, FeedContent, FeedContentQuerySet
from ondas.catalog.visibility import PUBLISHED, episode_listed_q
from ondas.core.media import (
    LOCAL,
    S3,
    RowStorageFileField,
    current_media_storage,
)
from ondas.core.models import TimestampedModel

__all__ = [
    "BCP47_RE",
    "Audiobook",
    "AudiobookChapter",
    "AudiobookPart",
    "bcp47_validator",
]


class Category(FeedContent):
    """One of Apple Podcasts' categories; ``name`` is Apple's English name."""

    feed_show_via = "category"
    feed_show_link = "pk"

    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=64, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    objects = FeedContentQuerySet["Category"].as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["parent__name", "name"]
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="catalog_category_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent else self.name

    @property
    def display_name(self) -> str:
        """Return the name in the active language."""
        return gettext(self.name)


class Access(models.TextChoices):
    """Who may hear an episode: everyone, or Premium subscribers."""

    FREE = "free", _("Free")
    EXCLUSIVE = "exclusive", _("Exclusive to Premium")


class Show(FeedContent, TimestampedModel):
    feed_show_link = "pk"

    class Kind(models.TextChoices):
        EPISODIC = "episodic", _("Episodic (newest first)")
        SERIAL = "serial", _("Serial (oldest first)")

    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    author = models.CharField(_("host or author"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language"), max_length=35, validators=[bcp47_validator]
    )
    categories: models.ManyToManyField[Category, ShowCategory] = models.ManyToManyField(
        Category, through="ShowCategory", related_name="shows", blank=True
    )
    artwork = models.ImageField(_("artwork"), upload_to="artwork/", blank=True)
    explicit = models.BooleanField(_("explicit"), default=False)
    kind = models.CharField(
        _("type"), max_length=16, choices=Kind.choices, default=Kind.EPISODIC
    )
    # What a new episode made in the studio starts as; each episode keeps its
    # own ``access``, which is what feeds and playback read.
    default_access = models.CharField(
        _("new episodes are"),
        max_length=16,
        choices=Access.choices,
        default=Access.FREE,
    )
    # podcast:guid — stable across moves of the feed URL.
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Bumped with every write its feeds show (catalog.versioning); never
    # written by an ordinary save.
    content_version = models.PositiveBigIntegerField(default=0, editable=False)
    content_changed_at = models.DateTimeField(default=timezone_now, editable=False)
    # The earliest publication still to come at the last bump, if any: the
    # feeds change then by the clock alone.
    next_publication_at = models.DateTimeField(null=True, blank=True, editable=False)
    # True while a feed import is still writing the show's episodes, batch by
    # batch: no page, list, feed or selector shows it until the import's last
    # transaction clears it (which bumps the content version, like any write).
    importing = models.BooleanField(default=False, editable=False)

    objects = FeedContentQuerySet["Show"].as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save the show's own fields; its version moves only by a bump."""
        if not self._state.adding and not kwargs.get("force_insert"):
            fields = kwargs.get("update_fields")
            if fields is None:
                fields = [
                    f.name for f in self._meta.concrete_fields if not f.primary_key
                ]
            kwargs["update_fields"] = [f for f in fields if f not in VERSION_FIELDS]
        super().save(*args, **kwargs)
        # The bump happened in the database; read back what it wrote.
        stamp = (
            type(self)
            ._base_manager.using(kwargs.get("using") or self._state.db)
            .filter(pk=self.pk)
            .values(*sorted(VERSION_FIELDS))
            .first()
        )
        for name, value in (stamp or {}).items():
            setattr(self, name, value)


class ShowCategory(FeedContent):
    """A show's place in a category; ``position`` 0 is the primary one."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    objects = FeedContentQuerySet["ShowCategory"].as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["show", "category"], name="catalog_showcategory_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.show_id}: {self.category_id} ({self.position})"


class AudioFile(FeedContent, TimestampedModel):
    """Audio bytes in media storage, addressed by id and never by a request path."""

    feed_show_via = "audio"
    feed_show_link = "pk"

    # The bytes are in the storage the row names (core.media): local disk or
    # the S3 bucket; `ondas storage migrate` moves them and switches the row.
    file = RowStorageFileField(_("file"), upload_to="audio/%Y/%m/")
    storage = models.CharField(
        _("storage"),
        max_length=8,
        choices=[(LOCAL, _("Local disk")), (S3, _("S3 bucket"))],
        default=current_media_storage,
        # What a running older version's INSERTs get (it wrote to disk only).
        db_default=LOCAL,
    )
    size = models.PositiveBigIntegerField(_("size in bytes"))
    mime_type = models.CharField(_("MIME type"), max_length=64)
    bitrate = models.PositiveIntegerField(_("bitrate (bit/s)"), default=0)
    duration_seconds = models.FloatField(
        _("duration in seconds"), default=0, validators=[MinValueValidator(0)]
    )
    sha256 = models.CharField(max_length=64, blank=True)

    objects = FeedContentQuerySet["AudioFile"].as_manager()

    class Meta:
        base_manager_name = "objects"

    def __str__(self) -> str:
        return str(self.file.name)


class EpisodeQuerySet(FeedContentQuerySet["Episode"]):
    def listed(self, *, now: datetime) -> EpisodeQuerySet:
        """The episodes listeners may see at ``now`` (``catalog.visibility``)."""
        return self.filter(episode_listed_q(now=now))


class Episode(FeedContent, TimestampedModel):
    """An episode; ``status`` and ``published_at`` say who sees it
    (``catalog.visibility``): a draft never, a published one from
    ``published_at`` on (scheduled before), an unpublished one no more.

    Delete is soft: history points at episodes by id
    (``playback.ListeningProgress.item_id``), so the row that stays lets it
    say "no longer available" with the title the listener knew, and an
    imported show's refresh finds it by GUID and leaves it deleted. Deleting
    frees the audio, chapters and transcripts and retires the GUID
    (``EpisodeGuidTombstone``, which outlives even a purge of the row).
    """

    feed_is_episode = True

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = PUBLISHED, _("Published")
        UNPUBLISHED = "unpublished", _("Unpublished")
        DELETED = "deleted", _("Deleted")

    Access = Access

    class Kind(models.TextChoices):
        FULL = "full", _("Full episode")
        TRAILER = "trailer", _("Trailer")
        BONUS = "bonus", _("Bonus")

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="episodes")
    guid = models.CharField(_("GUID"), max_length=255)
    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=120)
    # Stored already sanitised (catalog.services.sanitize_html); safe to render.
    description = models.TextField(_("description"), blank=True)
    published_at = models.DateTimeField(_("published"), db_index=True)
    duration_seconds = models.FloatField(
        _("duration in seconds"), default=0, validators=[MinValueValidator(0)]
    )
    season = models.PositiveIntegerField(_("season"), null=True, blank=True)
    number = models.PositiveIntegerField(_("episode number"), null=True, blank=True)
    kind = models.CharField(
        _("episode type"), max_length=16, choices=Kind.choices, default=Kind.FULL
    )
    audio = models.ForeignKey(
        AudioFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    access = models.CharField(
        _("access"), max_length=16, choices=Access.choices, default=Access.FREE
    )
    # Imports publish what their feed lists; the studio starts with drafts.
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PUBLISHED
    )
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["show", "guid"], name="catalog_episode_guid"
            ),
            models.UniqueConstraint(
                fields=["show", "slug"], name="catalog_episode_slug"
            ),
        ]
        indexes = [
            models.Index(
                fields=["show", "-published_at", "-id"], name="catalog_ep_show_pub"
            ),
            # The studio's counts by state (drafts, scheduled, published...)
            # read only this index.
            models.Index(
                fields=["show", "status", "published_at"], name="catalog_ep_show_state"
            ),
            # Search's kept results ask for the publications on either side of
            # now, across every show (``search.cache``).
            models.Index(
                fields=["status", "published_at"], name="catalog_ep_status_pub"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_exclusive(self) -> bool:
        return self.access == self.Access.EXCLUSIVE

    def is_listed(self, *, now: datetime) -> bool:
        """Whether listeners may see it at ``now`` (``catalog.visibility``)."""
        return self.status == self.Status.PUBLISHED and self.published_at <= now


class EpisodeGuidTombstone(models.Model):
    """A GUID a show once used for an episode since deleted: never used again.

    Podcast apps key what they downloaded and played by GUID; a new episode
    under an old GUID would be taken for the old one.
    """

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="+")
    guid = models.CharField(_("GUID"), max_length=255)
    deleted_at = models.DateTimeField(_("deleted"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["show", "guid"], name="catalog_tombstone_guid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.show_id}: {self.guid}"


class Chapter(FeedContent):
    feed_show_via = "episode"
    feed_show_link = "episode_id"

    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="chapters"
    )
    start_seconds = models.FloatField(
        _("start (seconds)"), validators=[MinValueValidator(0)]
    )
    title = models.CharField(_("title"), max_length=255)
    url = models.URLField(_("link"), blank=True, max_length=1000)
    image = models.URLField(_("image"), blank=True, max_length=1000)

    objects = FeedContentQuerySet["Chapter"].as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["start_seconds"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "start_seconds"], name="catalog_chapter_unique_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Transcript(FeedContent):
    """A transcript of an episode (``podcast:transcript``): an episode may have
    several, in several languages and formats; feeds carry them all."""

    feed_show_via = "episode"
    feed_show_link = "episode_id"

    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="transcripts"
    )
    # The publisher's file; "" when Ondas keeps it (``file``) and serves it.
    url = models.URLField(_("address"), max_length=2000, blank=True)
    file = models.FileField(_("file"), upload_to="transcripts/%Y/%m/", blank=True)
    # As declared ("text/vtt", "application/x-subrip", "text/html", …);
    # "" when the feed did not say and the file name does not tell.
    mime_type = models.CharField(_("format"), max_length=64, blank=True)
    # BCP 47; "" means the show's language, as in a feed.
    language = models.CharField(
        _("language"), max_length=35, blank=True, validators=[bcp47_validator]
    )
    # "captions": timed for display with the audio; "" for a plain transcript.
    rel = models.CharField(_("relation"), max_length=16, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = FeedContentQuerySet["Transcript"].as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "url"],
                condition=~models.Q(url=""),
                name="catalog_transcript_unique_url",
            ),
            models.CheckConstraint(
                condition=~models.Q(url="") | ~models.Q(file=""),
                name="catalog_transcript_url_or_file",
            ),
        ]

    def __str__(self) -> str:
        return self.url or str(self.file.name)


class FeedProfile(FeedContent, TimestampedModel):
    """What Ondas's public feed says about a show beyond the catalog."""

    show = models.OneToOneField(
        Show, on_delete=models.CASCADE, related_name="feed_profile"
    )
    owner_name = models.CharField(_("owner's name"), max_length=255, blank=True)
    owner_email = models.EmailField(_("owner's email"), blank=True)
    # podcast:locked — ask other platforms not to import the feed.
    locked = models.BooleanField(_("locked against imports"), default=True)
    # The lock's own owner (podcast:locked owner=), who may import it; when
    # blank, the feed names the owner's email above.
    locked_owner = models.EmailField(_("lock owner's email"), blank=True)
    funding_url = models.URLField(_("funding link"), max_length=2000, blank=True)
    funding_text = models.CharField(_("funding text"), max_length=128, blank=True)
    copyright = models.CharField(_("copyright"), max_length=255, blank=True)

    objects = FeedContentQuerySet["FeedProfile"].as_manager()

    class Meta:
        base_manager_name = "objects"
        verbose_name = _("feed profile")

    def __str__(self) -> str:
        return str(self.show_id)


class FeedPerson(FeedContent, TimestampedModel):
    """A podcast:person of a show, or of one episode (which then replaces the show's)."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=128)
    role = models.CharField(_("role"), max_length=64, default="host")
    group = models.CharField(_("group"), max_length=64, default="cast")
    href = models.URLField(_("link"), max_length=2000, blank=True)
    img = models.URLField(_("picture"), max_length=2000, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = FeedContentQuerySet["FeedPerson"].as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["position", "pk"]
        verbose_name = _("person")

    def __str__(self) -> str:
        return self.name
