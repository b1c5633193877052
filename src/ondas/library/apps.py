from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    name = "ondas.library"
    label = "library"
    verbose_name = _("Libraries")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ondas.accounts.privacy import ExportSection, export_section_register
        from ondas.accounts.signals import user_deleting
        from ondas.catalog.services.lifecycle import episode_loss_counter_register
        from ondas.library.selectors import follow_count_for_episode

        user_deleting.connect(_forget_follows, dispatch_uid="library.forget-follows")
        export_section_register(
            ExportSection(key="follows", build=_follows_export, order=20)
        )
        # The studio's confirmation of a delete says how many follow the show.
        episode_loss_counter_register(kind="followers", count=follow_count_for_episode)


def _forget_follows(*, user: object, **kwargs: object) -> None:
    """A deleted account keeps no list of the shows its person followed."""
    from ondas.accounts.models import User
    from ondas.library.services import follow_delete_for_user

    assert isinstance(user, User)
    follow_delete_for_user(user=user)


def _follows_export(user: object) -> list[dict[str, object]]:
    from ondas.accounts.models import User
    from ondas.library.selectors import follow_list_for_export

    assert isinstance(user, User)
    return follow_list_for_export(user=user)
