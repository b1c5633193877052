from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from ondas.accounts.models import User


class PlaybackConfig(AppConfig):
    name = "ondas.playback"
    label = "playback"
    verbose_name = _("Playback")

    def ready(self) -> None:
        from ondas.accounts.sections import AccountSection, account_section_register

        account_section_register(
            AccountSection(
                key="playback.allowance",
                template_name="playback/_account_allowance.html",
                get_context=_allowance_section,
                # Right after the subscription, which it belongs to.
                order=15,
            )
        )


def _allowance_section(user: User) -> dict[str, object]:
    from ondas.core import clock
    from ondas.playback.selectors import allowance_get

    return {"allowance": allowance_get(user=user, now=clock.now())}
