"""Billing's write operations, one module per family (STYLE.md, layers)."""

from ondas.billing.services.ledger import ledger_record_charge, ledger_record_refund
from ondas.billing.services.subscriptions import (
    BillingRunReport,
    billing_run,
    plan_create,
    subscription_advance,
    subscription_cancel,
    subscription_end_for_deleted_user,
    subscription_record_offline_payment,
    subscription_resume,
    subscription_start,
    trial_available,
    trial_reminders_send,
)

__all__ = [
    "BillingRunReport",
    "billing_run",
    "ledger_record_charge",
    "ledger_record_refund",
    "plan_create",
    "subscription_advance",
    "subscription_cancel",
    "subscription_end_for_deleted_user",
    "subscription_record_offline_payment",
    "subscription_resume",
    "subscription_start",
    "trial_available",
    "trial_reminders_send",
]
