from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "ondas.ingest"
    label = "ingest"
    verbose_name = _("Imported feeds")
    default_auto_field = "django.db.models.BigAutoField"
