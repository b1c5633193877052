from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudioConfig(AppConfig):
    name = "ondas.studio"
    label = "studio"
    verbose_name = _("Studio")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Owners of imported shows follow ingest's news (ingest.signals).
        from ondas.accounts.privacy import (
            ExportSection,
            deletion_check_register,
            export_section_register,
        )
        from ondas.accounts.signals import user_deleting
        from ondas.ingest.signals import feed_imported, feed_read
        from ondas.studio.services.claims import on_feed_imported, on_feed_read
        from ondas.studio.services.members import on_user_deleting

        feed_imported.connect(on_feed_imported, dispatch_uid="studio-feed-imported")
        feed_read.connect(on_feed_read, dispatch_uid="studio-feed-read")
        # A deleted account leaves the studio's shows and books.
        user_deleting.connect(on_user_deleting, dispatch_uid="studio-user-deleting")
        # ... but not while it is the last owner of a show or book.
        deletion_check_register(key="studio.last-owner", check=_last_owner)
        export_section_register(
            ExportSection(key="studio_memberships", build=_memberships, order=80)
        )


def _last_owner(user: object) -> list[str]:
    from ondas.accounts.models import User
    from ondas.studio.selectors import membership_deletion_refusals

    assert isinstance(user, User)
    return membership_deletion_refusals(user=user)


def _memberships(user: object) -> list[dict[str, object]]:
    from ondas.accounts.models import User
    from ondas.studio.selectors import membership_list_for_export

    assert isinstance(user, User)
    return membership_list_for_export(user=user)
