from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from ondas.accounts.models import User


class BillingConfig(AppConfig):
    name = "ondas.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from ondas.accounts.privacy import ExportSection, export_section_register
        from ondas.accounts.sections import AccountSection, account_section_register
        from ondas.accounts.signals import user_deleting

        user_deleting.connect(
            _end_subscription, dispatch_uid="billing.end-subscription"
        )
        export_section_register(
            ExportSection(key="subscriptions", build=_subscriptions_export, order=50)
        )
        export_section_register(
            ExportSection(key="ledger", build=_ledger_export, order=60)
        )
        account_section_register(
            AccountSection(
                key="billing.subscription",
                template_name="billing/_account_subscription.html",
                get_context=_subscription_section,
                order=10,
            )
        )
        account_section_register(
            AccountSection(
                key="billing.receipts",
                template_name="billing/_account_receipts.html",
                get_context=_receipts_section,
                order=20,
            )
        )


def _end_subscription(*, user: object, now: object, **kwargs: object) -> None:
    from datetime import datetime

    from ondas.accounts.models import User
    from ondas.billing.services import subscription_end_for_deleted_user

    assert isinstance(user, User) and isinstance(now, datetime)
    subscription_end_for_deleted_user(user=user, now=now)


# The account page's sections (ondas.accounts.sections): what they show.
RECEIPTS_SHOWN = 24


def _subscription_section(user: User) -> dict[str, object]:
    from ondas.billing.selectors import subscription_overview
    from ondas.core import clock

    return {"overview": subscription_overview(user=user, now=clock.now())}


def _receipts_section(user: User) -> dict[str, object]:
    from ondas.billing.selectors import ledger_list_for_user

    return {"receipts": list(ledger_list_for_user(user=user)[:RECEIPTS_SHOWN])}


def _subscriptions_export(user: User) -> list[dict[str, object]]:
    from ondas.billing.selectors import subscription_list_for_export

    return subscription_list_for_export(user=user)


def _ledger_export(user: User) -> list[dict[str, object]]:
    from ondas.billing.selectors import ledger_list_for_export

    return ledger_list_for_export(user=user)
