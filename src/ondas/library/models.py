"""A listener's library: the shows they follow."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Episode, Show


class Follow(models.Model):
    """A listener follows a show: it is on their "Your shows" page and in their OPML."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(_("followed since"))

    class Meta:
        verbose_name = _("follow")
        constraints = [
            models.UniqueConstraint(fields=["user", "show"], name="feeds_follow_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.show_id}"


class SyncDevice(models.Model):
    """A podcast app that syncs through the gpodder.net API (AntennaPod, gPodder).

    Every device of a person shares their one library: what one follows,
    the others are told to follow.
    """

    class Type(models.TextChoices):
        DESKTOP = "desktop", _("Desktop")
        LAPTOP = "laptop", _("Laptop")
        MOBILE = "mobile", _("Mobile")
        SERVER = "server", _("Server")
        OTHER = "other", _("Other")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    device_id = models.CharField(_("device"), max_length=64)
    caption = models.CharField(_("caption"), max_length=255, blank=True)
    type = models.CharField(
        _("type"), max_length=16, choices=Type.choices, default=Type.OTHER
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("sync device")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "device_id"], name="library_sync_device_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.device_id}"


class SubscriptionEvent(models.Model):
    """One follow or unfollow, for apps that ask what changed since.

    ``url`` is the feed address an app sent ("" for a follow made on the
    site or through /api/v1/); ``show`` is the show it stands for, or null
    for an address this catalog does not have, which is kept and handed back
    to the person's other apps all the same.
    """

    class Action(models.TextChoices):
        ADD = "add", _("Followed")
        REMOVE = "remove", _("Unfollowed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    device = models.ForeignKey(
        SyncDevice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    url = models.CharField(max_length=2000, blank=True)
    show = models.ForeignKey(
        Show, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="library_subevent_time")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.url or self.show_id}"


class EpisodeAction(models.Model):
    """An episode action an app uploaded (gpodder.net: play, download, …).

    Kept as sent, so the person's other apps get it back even when Ondas
    knows neither the feed nor the episode; ``episode`` is set when it does.
    A play with a position also moved the person's place
    (``playback.services.progress_save``).
    """

    class Action(models.TextChoices):
        DOWNLOAD = "download", _("Downloaded")
        PLAY = "play", _("Played")
        DELETE = "delete", _("Deleted")
        NEW = "new", _("Marked new")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    device = models.ForeignKey(
        SyncDevice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    podcast = models.CharField(max_length=2000)
    episode_url = models.CharField(max_length=2000)
    guid = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    timestamp = models.DateTimeField(null=True, blank=True)
    started = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    total = models.PositiveIntegerField(null=True, blank=True)
    episode = models.ForeignKey(
        Episode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "received_at"], name="library_epaction_time")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.episode_url}"
