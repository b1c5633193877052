from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    name = "ondas.feeds"
    label = "feeds"
    verbose_name = _("Feeds")
    default_auto_field = "django.db.models.BigAutoField"
