"""Billing's write operations, one module per family (STYLE.md, layers)."""

from ondas.billing.services.ledger import ledger_record_charge, ledger_record_refund
from ondas.billing.services.renewals import (
    BillingRunReport,
    billing_run,
    subscription_advance,
    subscription_record_offline_payment,
    trial_reminders_send,
)
from ondas.billing.services.stripe_checkout import (
    StripeOffer,
    stripe_checkout_offer,
    subscription_checkout_url,
    subscription_start_stripe,
)
from ondas.billing.services.stripe_events import stripe_webhook_receive
from ondas.billing.services.subscriptions import (
    plan_create,
    subscription_cancel,
    subscription_end_for_deleted_user,
    subscription_resume,
    subscription_start,
)

__all__ = [
    "BillingRunReport",
    "StripeOffer",
    "billing_run",
    "ledger_record_charge",
    "ledger_record_refund",
    "plan_create",
    "stripe_checkout_offer",
    "stripe_webhook_receive",
    "subscription_advance",
    "subscription_cancel",
    "subscription_checkout_url",
    "subscription_end_for_deleted_user",
    "subscription_record_offline_payment",
    "subscription_resume",
    "subscription_start",
    "subscription_start_stripe",
    "trial_reminders_send",
]
