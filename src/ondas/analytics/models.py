"""Downloads: what the ingest keeps of delivery logs, and the daily roll-ups.

No address is stored: a listener is a salted digest (``iab.listener_digest``)
under the salt of a day, and salts older than yesterday are deleted, so a
digest can no longer be linked to anyone once its salt is gone.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Episode, Show


class DaySalt(models.Model):
    """The random salt of one UTC day's listener digests."""

    day = models.DateField(unique=True)
    salt = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return str(self.day)


class LogCursor(models.Model):
    """How far a delivery log has been ingested: a file is known by its first line."""

    first_line_sha256 = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=500)
    offset = models.PositiveBigIntegerField(default=0)
    lines = models.PositiveBigIntegerField(default=0)
    malformed = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.offset}"


class DownloadWindow(models.Model):
    """One listener's fetches of one episode within 24 hours of its start."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE)
    listener = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    # [[start, end), ...] byte intervals of the audio file sent (iab.Coverage).
    intervals = models.JSONField(default=list)
    loose_bytes = models.PositiveBigIntegerField(default=0)
    counted_on = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["episode", "listener", "started_at"],
                name="analytics_window_lookup",
            ),
            # The ingest looks a batch's listeners up by digest and time.
            models.Index(
                fields=["listener", "started_at"], name="analytics_window_listener"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.episode_id} {self.listener} {self.started_at}"


class ListenerDay(models.Model):
    """A listener counted on a day, for an episode and for its show (episode
    None): what makes unique listeners countable without the raw events."""

    day = models.DateField()
    show = models.ForeignKey(Show, on_delete=models.CASCADE)
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, null=True)
    listener = models.CharField(max_length=32)

    class Meta:
        # Two partial constraints rather than one with nulls_distinct=False,
        # which SQLite (the default database) cannot enforce.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "show", "episode", "listener"],
                condition=models.Q(episode__isnull=False),
                name="analytics_listener_day_once",
            ),
            models.UniqueConstraint(
                fields=["day", "show", "listener"],
                condition=models.Q(episode__isnull=True),
                name="analytics_listener_show_day_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.listener}"


class DailyEpisodeDownloads(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE)
    day = models.DateField()
    downloads = models.PositiveIntegerField(_("downloads"), default=0)
    listeners = models.PositiveIntegerField(_("unique listeners"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "day"], name="analytics_episode_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.episode_id} {self.day}: {self.downloads}"


class DailyShowDownloads(models.Model):
    show = models.ForeignKey(Show, on_delete=models.CASCADE)
    day = models.DateField()
    downloads = models.PositiveIntegerField(_("downloads"), default=0)
    listeners = models.PositiveIntegerField(_("unique listeners"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["show", "day"], name="analytics_show_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.show_id} {self.day}: {self.downloads}"
