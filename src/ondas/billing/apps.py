from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "ondas.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from ondas.accounts.signals import user_deleting

        user_deleting.connect(
            _end_subscription, dispatch_uid="billing.end-subscription"
        )


def _end_subscription(*, user: object, now: object, **kwargs: object) -> None:
    from datetime import datetime

    from ondas.accounts.models import User
    from ondas.billing.services import subscription_end_for_deleted_user

    assert isinstance(user, User) and isinstance(now, datetime)
    subscription_end_for_deleted_user(user=user, now=now)
