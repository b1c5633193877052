from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybackConfig(AppConfig):
    name = "ondas.playback"
    label = "playback"
    verbose_name = _("Playback")
