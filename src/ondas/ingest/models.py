"""Ingest: where an imported show comes from, what each refresh did, and the
imports people asked for on the import page.

The catalog stays the one place for shows and episodes; these rows hang off
them. ``FeedSource`` and ``RemoteEpisode`` hold things the public feed shows
(the publisher's artwork, enclosures): writing those fields bumps the show's
content version, as every catalog write does (``catalog.versioning``).
``RemoteEpisode`` carries the publisher's enclosure for an imported episode,
whose audio Ondas does not download (``Episode.audio`` stays empty); its
transcripts are the catalog's (``catalog.Transcript``).
The tables began in the ``feeds`` app (``ingest/0001`` took them over); the
index names they had there are kept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Episode, Show
from ondas.catalog.versioning import FeedContent, FeedContentQuerySet
from ondas.core.models import TimestampedModel


class FeedSource(FeedContent, TimestampedModel):
    """An RSS or Atom feed that a show is imported from and refreshed against."""

    # The public feed shows the publisher's artwork when the show has none;
    # the rest (schedule, validators, what was applied) it never shows.
    feed_fields = frozenset({"show", "remote_image_url"})

    show = models.OneToOneField(
        Show, on_delete=models.CASCADE, related_name="feed_source"
    )
    url = models.URLField(_("feed URL"), max_length=2000, unique=True)
    enabled = models.BooleanField(_("refresh automatically"), default=True)
    refresh_interval_minutes = models.PositiveIntegerField(
        _("refresh every (minutes)"), default=60, validators=[MinValueValidator(5)]
    )
    next_refresh_at = models.DateTimeField(_("next refresh"), db_index=True)
    failure_count = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # HTTP validators of the last good response, sent back as a conditional GET.
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    # What was applied last: a refresh never goes back behind these.
    applied_content_sha256 = models.CharField(max_length=64, blank=True)
    applied_newest_item_at = models.DateTimeField(null=True, blank=True)
    applied_build_date = models.DateTimeField(null=True, blank=True)
    # The publisher's claims, kept for display and for the public feed.
    remote_image_url = models.URLField(max_length=2000, blank=True)
    remote_link = models.URLField(max_length=2000, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the show's owner stopped following the feed (issue 13): from then
    # on no refresh applies it and the studio edits every field. The row
    # stays, because the imported episodes' enclosures hang from it; staff
    # may clear this in the admin to follow the feed again.
    detached_at = models.DateTimeField(_("stopped following"), null=True, blank=True)

    objects = FeedContentQuerySet["FeedSource"].as_manager()

    class Meta:
        verbose_name = _("feed source")

    def __str__(self) -> str:
        return self.url


class FeedRefresh(models.Model):
    """One attempt to read a feed: what it changed, or why it changed nothing."""

    class Trigger(models.TextChoices):
        IMPORT = "import", _("Import")
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Manual")
        APPROVAL = "approval", _("Approval")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNCHANGED = "unchanged", _("Unchanged")
        NOT_MODIFIED = "not_modified", _("Not modified (304)")
        HELD = "held", _("Held for approval")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    class Decision(models.TextChoices):
        NONE = "", _("None needed")
        PENDING = "pending", _("Waiting for a person")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    source = models.ForeignKey(
        FeedSource, on_delete=models.CASCADE, related_name="refreshes"
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # An ErrorCode for refusals and failures; empty when applied.
    reason = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    bytes_received = models.PositiveBigIntegerField(default=0)
    content_sha256 = models.CharField(max_length=64, blank=True)
    newest_item_at = models.DateTimeField(null=True, blank=True)
    build_date = models.DateTimeField(null=True, blank=True)
    items_in_feed = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    restored = models.PositiveIntegerField(default=0)
    # Up to a few dozen GUIDs per kind of change, for the person reading the log.
    details = models.JSONField(default=dict, blank=True)
    # A held refresh keeps its body, and the state it was compared against, so
    # approving it later can re-check that nothing newer was applied meanwhile.
    held_body = models.BinaryField(null=True, blank=True, editable=False)
    base_content_sha256 = models.CharField(max_length=64, blank=True)
    decision = models.CharField(
        max_length=16, choices=Decision.choices, default=Decision.NONE, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("feed refresh")
        verbose_name_plural = _("feed refreshes")
        indexes = [
            models.Index(fields=["source", "-started_at"], name="feeds_refresh_source")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class RemoteEpisode(FeedContent, TimestampedModel):
    """An imported episode's place in its feed, and the publisher's enclosure."""

    feed_show_via = "episode"
    feed_show_link = "episode_id"
    # What the feeds show of it; when it was last seen, or found missing, not.
    feed_fields = frozenset(
        {
            "episode",
            "enclosure_url",
            "enclosure_length",
            "enclosure_type",
        }
    )

    episode = models.OneToOneField(
        Episode, on_delete=models.CASCADE, related_name="remote"
    )
    source = models.ForeignKey(
        FeedSource, on_delete=models.CASCADE, related_name="episodes"
    )
    enclosure_url = models.URLField(max_length=2000)
    # As the feed declares it; Ondas has not downloaded the file.
    enclosure_length = models.PositiveBigIntegerField(default=0)
    # As declared, else by the URL's extension, else read from the file's
    # first bytes (ingest.enclosure); "" while nothing has told it.
    enclosure_type = models.CharField(max_length=64, blank=True)
    link = models.URLField(max_length=2000, blank=True)
    chapters_url = models.URLField(max_length=2000, blank=True)
    # Which source the episode's chapters came from: json, psc, id3, description.
    chapters_origin = models.CharField(max_length=16, blank=True)
    # Digest of the item as last applied: an unchanged item costs no write.
    item_sha256 = models.CharField(max_length=64)
    last_seen_at = models.DateTimeField()
    # Set when a refresh no longer lists the episode; it is never deleted.
    missing_since = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = FeedContentQuerySet["RemoteEpisode"].as_manager()

    class Meta:
        verbose_name = _("remote episode")

    def __str__(self) -> str:
        return self.enclosure_url


class FeedImport(TimestampedModel):
    """A request, made on the import page, to import a show from its feed.

    The background task that runs it records here how it went, so the page can
    say so: the show it created, or the refusal's code and message. A refused
    import still names the URL, so nothing typed is lost. When the feed was
    already imported, ``source`` is the existing one.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")

    url = models.URLField(_("feed URL"), max_length=2000)
    # Kept only until the import has run: it proves ownership of a locked feed.
    owner_email = models.EmailField(_("owner's email"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The language of the page it was asked from; the result is written in it.
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    source = models.ForeignKey(
        FeedSource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
    )
    # An ErrorCode when the import failed; the message as the person saw it.
    reason = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("feed import")
        indexes = [
            models.Index(
                fields=["requested_by", "-created_at"], name="feeds_import_requester"
            )
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
