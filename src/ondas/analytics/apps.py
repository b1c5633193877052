from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "ondas.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from ondas.analytics import signals

        signals.connect()
