"""Downloads and listening: what the ingest keeps of delivery logs, what the
listening roll-up makes of the players' reports, and the daily roll-ups.

No address is stored: a listener is a salted digest (``iab.listener_digest``)
under the salt of a day, and salts older than yesterday are deleted, so a
digest can no longer be linked to anyone once its salt is gone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ondas.analytics.agents import AppFamily
from ondas.catalog.models import Audiobook, Episode, Show


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


class WindowsVersion(models.Model):
    """One row, bumped by every write to the download windows (a batch of the
    ingest, the forgetting of old ones): a run of the ingest keeps the
    windows it has read or written in memory from one batch to the next
    only while the version is the one its own last batch left."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)


class ShowNumbersVersion(models.Model):
    """A show's numbers version: bumped in the same transaction as every
    roll-up write that changes what its numbers pages show (a batch of the
    ingest that counted downloads, a batch of the listening roll-up, a
    recount), so a cached page keyed by it is never older than the last
    committed write (``analytics.versions``)."""

    show = models.OneToOneField(
        Show, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.show_id}: {self.version}"


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
            # The ingest looks windows up by listener digests (one probe per
            # digest): with the episode first it took one per episode too.
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
        # The ingest asks which of a batch's listeners are counted already.
        indexes = [
            models.Index(fields=["listener", "day"], name="analytics_listener_day_who")
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


class DailyShowApps(models.Model):
    """A show's downloads of one day from one family of apps
    (``analytics.agents``): the app of the request that made each count."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE)
    day = models.DateField()
    app = models.CharField(_("app"), max_length=16, choices=AppFamily.choices)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["show", "day", "app"], name="analytics_show_app_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.show_id} {self.day} {self.app}: {self.downloads}"


# Listening, from the players (issue 14, item 2) ---------------------------------
# Rolled up from playback's heard spans by ``analytics.listening``; pages and
# payouts read these tables, never the spans.


def _one_item(prefix: str) -> list[models.BaseConstraint]:
    """Exactly one of episode and audiobook, and the row once per key."""
    return [
        models.CheckConstraint(
            condition=Q(episode__isnull=True) ^ Q(audiobook__isnull=True),
            name=f"{prefix}_one_item",
        ),
    ]


class RollupCursor(models.Model):
    """How far a roll-up has read a table that only grows (by primary key)."""

    name = models.CharField(max_length=64, unique=True)
    position = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


class ListeningDay(models.Model):
    """What one listener heard of one item on one day (the operator's time zone).

    ``audio_seconds`` is audio heard, a minute replayed counting twice (30
    minutes at 2x are 3,600); ``wall_seconds`` the time it took; ``played``
    says it is a play (more than 60 seconds of audio), so at most one play
    per listener, item and day.
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
    day = models.DateField()
    audio_seconds = models.FloatField(default=0)
    wall_seconds = models.FloatField(default=0)
    played = models.BooleanField(default=False)

    class Meta:
        constraints = [
            *_one_item("analytics_listening_day"),
            models.UniqueConstraint(
                fields=["user", "episode", "day"],
                condition=Q(episode__isnull=False),
                name="analytics_listening_day_episode_once",
            ),
            models.UniqueConstraint(
                fields=["user", "audiobook", "day"],
                condition=Q(audiobook__isnull=False),
                name="analytics_listening_day_book_once",
            ),
        ]
        indexes = [models.Index(fields=["day"], name="analytics_listening_day_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}: {self.audio_seconds:.0f}s"


class ListenerCoverage(models.Model):
    """The parts of one item one listener has heard, merged (each second once)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, null=True, related_name="+"
    )
    audiobook = models.ForeignKey(
        Audiobook, on_delete=models.CASCADE, null=True, related_name="+"
    )
    # [[start, end], ...] disjoint and sorted, in audio seconds.
    spans = models.JSONField(default=list)
    covered_seconds = models.FloatField(default=0)
    # A play on some day (ListeningDay.played), and coverage past the
    # completion threshold (listening.COMPLETION_SHARE of the duration).
    played = models.BooleanField(default=False)
    completed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            *_one_item("analytics_coverage"),
            models.UniqueConstraint(
                fields=["user", "episode"],
                condition=Q(episode__isnull=False),
                name="analytics_coverage_episode_once",
            ),
            models.UniqueConstraint(
                fields=["user", "audiobook"],
                condition=Q(audiobook__isnull=False),
                name="analytics_coverage_book_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.covered_seconds:.0f}s"


class EpisodeListening(models.Model):
    """An episode's players and how many of them completed it."""

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE)
    players = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.episode_id}: {self.completed}/{self.players}"


class ChapterReach(models.Model):
    """How many listeners heard some of the episode's chapter starting here."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE)
    start_seconds = models.FloatField()
    listeners = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "start_seconds"], name="analytics_reach_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.episode_id}@{self.start_seconds:.0f}: {self.listeners}"


class DailyEpisodePlays(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE)
    day = models.DateField()
    plays = models.PositiveIntegerField(_("plays"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "day"], name="analytics_episode_plays_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.episode_id} {self.day}: {self.plays}"


class DailyShowPlays(models.Model):
    show = models.ForeignKey(Show, on_delete=models.CASCADE)
    day = models.DateField()
    plays = models.PositiveIntegerField(_("plays"), default=0)
    listeners = models.PositiveIntegerField(_("unique listeners"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["show", "day"], name="analytics_show_plays_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.show_id} {self.day}: {self.plays}"


# Payouts (issue 14, item 4): see analytics/payouts/ and the README ----------------


class PayoutPeriod(models.Model):
    """A calendar month of payouts (the operator's time zone) and its close."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    month = models.DateField(_("month"), unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    # How many times the period was reopened: the close's payables carry it.
    generation = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # What the close read, per currency: {"MXN": {"charges": ..., "refunds": ...,
    # "net": ..., "share": ..., "distributed": ..., "fee_known": false}}.
    pool = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("payout period")
        verbose_name_plural = _("payout periods")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({self.status})"


class Statement(models.Model):
    """What one payee earned in one closed period: counts, never who."""

    period = models.ForeignKey(
        PayoutPeriod, on_delete=models.PROTECT, related_name="statements"
    )
    # A deleted show or book leaves its statements (and billing's payables,
    # keyed "show:12"), without the link.
    show = models.ForeignKey(
        Show, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    audiobook = models.ForeignKey(
        Audiobook, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount_minor = models.PositiveBigIntegerField(_("amount (minor units)"))
    streams = models.PositiveIntegerField(_("premium streams"))
    audio_seconds = models.PositiveBigIntegerField(_("audio seconds"))
    subscribers = models.PositiveIntegerField(_("subscribers"))
    ledger_key = models.CharField(max_length=160, unique=True)

    class Meta:
        ordering = ["-period__month", "pk"]
        constraints = [
            # Once per payee and currency: ``ledger_key`` is unique.
            models.CheckConstraint(
                condition=Q(show__isnull=True) | Q(audiobook__isnull=True),
                name="analytics_statement_one_payee",
            ),
        ]

    def __str__(self) -> str:
        return self.ledger_key

    @property
    def minutes(self) -> int:
        return self.audio_seconds // 60


class PayoutAudit(models.Model):
    """Who closed or reopened a period, when, and what it held then."""

    class Action(models.TextChoices):
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    period = models.ForeignKey(
        PayoutPeriod, on_delete=models.PROTECT, related_name="audit"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.period} {self.action} {self.at:%Y-%m-%d %H:%M}"
