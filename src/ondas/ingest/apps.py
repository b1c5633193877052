from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "ondas.ingest"
    label = "ingest"
    verbose_name = _("Imported feeds")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ondas.catalog.services.authored import feed_managed_fields_register
        from ondas.ingest.selectors import (
            episode_feed_managed_fields,
            show_feed_managed_fields,
        )

        # The studio refuses edits the next refresh would overwrite; only
        # ingest knows which those are.
        feed_managed_fields_register(
            show=show_feed_managed_fields, episode=episode_feed_managed_fields
        )
