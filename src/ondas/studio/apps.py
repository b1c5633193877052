from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudioConfig(AppConfig):
    name = "ondas.studio"
    label = "studio"
    verbose_name = _("Studio")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Owners of imported shows follow ingest's news (ingest.signals).
        from ondas.accounts.signals import user_deleting
        from ondas.ingest.signals import feed_imported, feed_read
        from ondas.studio.services.claims import on_feed_imported, on_feed_read
        from ondas.studio.services.members import on_user_deleting

        feed_imported.connect(on_feed_imported, dispatch_uid="studio-feed-imported")
        feed_read.connect(on_feed_read, dispatch_uid="studio-feed-read")
        # A deleted account leaves the studio's shows and books.
        user_deleting.connect(on_user_deleting, dispatch_uid="studio-user-deleting")
