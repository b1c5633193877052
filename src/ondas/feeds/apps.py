from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    name = "ondas.feeds"
    label = "feeds"
    verbose_name = _("Feeds")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ondas.accounts.signals import user_deleting

        user_deleting.connect(_forget_follows, dispatch_uid="feeds.forget-follows")
        _register_private_feeds_section()


def _forget_follows(*, user: object, **kwargs: object) -> None:
    """A deleted account keeps no list of the shows its person followed."""
    from ondas.accounts.models import User
    from ondas.feeds.services.follows import follow_delete_for_user

    assert isinstance(user, User)
    follow_delete_for_user(user=user)


def _register_private_feeds_section() -> None:
    from ondas.accounts.sections import AccountSection, account_section_register

    account_section_register(
        AccountSection(
            key="feeds.private",
            template_name="feeds/_account_private_feeds.html",
            get_context=_private_feeds_section,
            order=15,  # after the subscription (10), before the receipts (20)
        )
    )


def _private_feeds_section(user: object) -> dict[str, object]:
    """The account page's private feeds: their addresses, and the buttons."""
    from ondas.accounts.models import User
    from ondas.core import clock
    from ondas.feeds.private_selectors import private_feed_overview

    assert isinstance(user, User)
    return {"overview": private_feed_overview(user=user, now=clock.now())}
