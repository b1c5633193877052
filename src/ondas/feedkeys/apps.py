from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedkeysConfig(AppConfig):
    name = "ondas.feedkeys"
    label = "feedkeys"
    verbose_name = _("Private feed keys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ondas.accounts.privacy import ExportSection, export_section_register
        from ondas.accounts.sections import AccountSection, account_section_register
        from ondas.accounts.signals import user_deleting
        from ondas.catalog.services.lifecycle import episode_loss_counter_register
        from ondas.feedkeys.selectors import feed_key_count_live_for_episode

        user_deleting.connect(_forget_keys, dispatch_uid="feedkeys.forget-keys")
        export_section_register(
            ExportSection(key="private_feeds", build=_keys_export, order=70)
        )
        # The studio's confirmation of a delete says how many private feeds
        # carry the episode's show.
        episode_loss_counter_register(
            kind="private_feeds", count=feed_key_count_live_for_episode
        )
        account_section_register(
            AccountSection(
                key="feedkeys.private",
                template_name="feedkeys/_account_private_feeds.html",
                get_context=_private_feeds_section,
                order=15,  # after the subscription (10), before the receipts (20)
            )
        )


def _forget_keys(*, user: object, **kwargs: object) -> None:
    """A deleted account leaves no private feed address behind."""
    from ondas.accounts.models import User
    from ondas.feedkeys.services import feed_keys_delete_for_user

    assert isinstance(user, User)
    feed_keys_delete_for_user(user=user)


def _private_feeds_section(user: object) -> dict[str, object]:
    """The account page's private feeds: their addresses, and the buttons."""
    from ondas.accounts.models import User
    from ondas.core import clock
    from ondas.feedkeys.selectors import private_feed_overview

    assert isinstance(user, User)
    return {"overview": private_feed_overview(user=user, now=clock.now())}


def _keys_export(user: object) -> list[dict[str, object]]:
    from ondas.accounts.models import User
    from ondas.feedkeys.selectors import feed_key_list_for_export

    assert isinstance(user, User)
    return feed_key_list_for_export(user=user)
