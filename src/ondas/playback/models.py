"""Where each person is in what they hear, and what their listening cost.

Positions sync across devices (``ListeningProgress``). Audiobook listening is
metered through one open session per account: the player reports the parts of
the timeline it played, and the server charges real listening time against
the plan's allowance (``AllowanceUsage``), each stretch of a book once per
period (``ListenedSpan``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Audiobook, Episode


class ListeningProgress(models.Model):
    class Kind(models.TextChoices):
        EPISODE = "episode", _("Episode")
        AUDIOBOOK = "audiobook", _("Audiobook")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    item_id = models.PositiveBigIntegerField()
    position_seconds = models.FloatField()
    # When the listener was at that position (the device's clock, never later
    # than the server's): the most recent listening wins, whatever the position.
    played_at = models.DateTimeField()
    device = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "item_id"], name="playback_progress_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.item_id}@{self.position_seconds:.0f}"


class Bookmark(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    audiobook = models.ForeignKey(Audiobook, on_delete=models.CASCADE, related_name="+")
    position_seconds = models.FloatField()
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["position_seconds", "pk"]

    def __str__(self) -> str:
        return f"{self.audiobook_id}@{self.position_seconds:.0f}"


class ListeningSession(models.Model):
    """One audiobook stream; opening another on the account closes this one."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    audiobook = models.ForeignKey(Audiobook, on_delete=models.CASCADE, related_name="+")
    device = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    last_report_at = models.DateTimeField()
    last_seq = models.PositiveIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(ended_at__isnull=True),
                name="playback_one_open_session_per_user",
            )
        ]

    def __str__(self) -> str:
        return str(self.token)


class ListeningReport(models.Model):
    """A report as received, with the answer given: a replay gets the same answer."""

    session = models.ForeignKey(
        ListeningSession, on_delete=models.CASCADE, related_name="reports"
    )
    seq = models.PositiveIntegerField()
    received_at = models.DateTimeField()
    charged_seconds = models.FloatField()
    answer = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "seq"], name="playback_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq}"


class ListenedSpan(models.Model):
    """A stretch of a book already charged in a billing period (merged, disjoint)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    audiobook = models.ForeignKey(Audiobook, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    start_seconds = models.FloatField()
    end_seconds = models.FloatField()

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "audiobook", "period_start"],
                name="playback_span_lookup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.start_seconds:.0f}-{self.end_seconds:.0f}"


class AllowanceUsage(models.Model):
    """Audiobook seconds charged to a person in one billing period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    period_start = models.DateTimeField()
    seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period_start"], name="playback_usage_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.seconds:.0f}s"


class HeardSpan(models.Model):
    """A stretch of an episode or a book a player says it played, as received.

    What analytics rolls up (``ondas.analytics.listening``): ``start`` and
    ``end`` are on the item's timeline (audio seconds), ``rate`` the speed it
    was heard at, so the wall time it took is ``(end - start) / rate``.
    ``heard_at`` is when the report arrived (the day it counts on). Rows are
    only added, never changed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, null=True, related_name="+"
    )
    audiobook = models.ForeignKey(
        Audiobook, on_delete=models.CASCADE, null=True, related_name="+"
    )
    start_seconds = models.FloatField()
    end_seconds = models.FloatField()
    rate = models.FloatField()
    heard_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(episode__isnull=True) ^ Q(audiobook__isnull=True),
                name="playback_heard_one_item",
            )
        ]

    def __str__(self) -> str:
        return f"{self.start_seconds:.0f}-{self.end_seconds:.0f}x{self.rate}"


class EpisodeReport(models.Model):
    """An episode player's report as received: a replay gets the same answer.

    A player names its stream (a random id it makes when it starts an
    episode) and numbers its reports; the pair is the report's identity.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="+")
    stream = models.UUIDField()
    seq = models.PositiveIntegerField()
    received_at = models.DateTimeField()
    # The time its spans took to play, (end - start) / rate summed.
    wall_seconds = models.FloatField(default=0)
    answer = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "stream", "seq"], name="playback_episode_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq}"
