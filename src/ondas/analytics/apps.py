from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "ondas.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from ondas.accounts.privacy import ExportSection, export_section_register
        from ondas.accounts.signals import user_deleting
        from ondas.analytics import signals

        # Recount an episode's completion and reach when its shape changes.
        signals.connect()
        # Roll a deleted account's listening up, then drop the raw spans.
        user_deleting.connect(_forget, dispatch_uid="analytics.forget")
        export_section_register(
            ExportSection(key="listening_days", build=_listening_export, order=40)
        )


def _forget(*, user: object, **kwargs: object) -> None:
    from ondas.accounts.models import User
    from ondas.analytics.services import listening_forget_user

    assert isinstance(user, User)
    listening_forget_user(user=user)


def _listening_export(user: object) -> list[dict[str, object]]:
    from ondas.accounts.models import User
    from ondas.analytics.selectors import listening_days_for_export

    assert isinstance(user, User)
    return listening_days_for_export(user=user)
