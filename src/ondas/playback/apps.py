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
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_delete, post_save

        from ondas.accounts.models import User
        from ondas.accounts.privacy import ExportSection, export_section_register
        from ondas.accounts.sections import AccountSection, account_section_register
        from ondas.accounts.signals import user_deleting
        from ondas.billing.models import Subscription
        from ondas.catalog.models import AudiobookPart, AudioFile, Episode
        from ondas.catalog.services.lifecycle import episode_loss_counter_register
        from ondas.playback import rights_cache
        from ondas.playback.selectors import progress_count_for_episode

        # The studio's confirmation of a delete says how many are part-way in.
        episode_loss_counter_register(
            kind="in_progress", count=progress_count_for_episode
        )

        # Kept yes answers of the lean audio path end with what they rest on.
        user_logged_out.connect(rights_cache.on_signed_out)
        for signal in (post_save, post_delete):
            signal.connect(rights_cache.on_subscription_changed, sender=Subscription)
            signal.connect(rights_cache.on_person_changed, sender=User)
            for model in (Episode, AudiobookPart, AudioFile):
                signal.connect(rights_cache.on_catalog_changed, sender=model)

        # A deleted account keeps no positions, bookmarks or metering.
        user_deleting.connect(_forget, dispatch_uid="playback.forget")
        export_section_register(
            ExportSection(key="progress", build=_progress_export, order=30)
        )
        export_section_register(
            ExportSection(key="bookmarks", build=_bookmarks_export, order=31)
        )
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


def _forget(*, user: object, **kwargs: object) -> None:
    from ondas.accounts.models import User
    from ondas.playback.services import playback_forget_user

    assert isinstance(user, User)
    playback_forget_user(user=user)


def _progress_export(user: User) -> list[dict[str, object]]:
    from ondas.playback.selectors import progress_list_for_export

    return progress_list_for_export(user=user)


def _bookmarks_export(user: User) -> list[dict[str, object]]:
    from ondas.playback.selectors import bookmark_list_for_export

    return bookmark_list_for_export(user=user)
