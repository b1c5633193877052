"""Plans, subscriptions and their history, payment attempts, and the ledger.

Money is integer minor units plus an ISO 4217 code. Ledger rows are written
once and never changed; each carries the idempotency key that makes a retried
write a no-op.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ondas.core.models import TimestampedModel

currency_validator = RegexValidator(
    r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, such as MXN or USD.")
)


class Plan(TimestampedModel):
    class Interval(models.TextChoices):
        MONTH = "month", _("Monthly")
        YEAR = "year", _("Yearly")

    slug = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    price_minor = models.PositiveIntegerField(
        _("price (minor units)"), help_text=_("9900 means 99.00 in the currency.")
    )
    currency = models.CharField(
        _("currency"), max_length=3, validators=[currency_validator]
    )
    interval = models.CharField(
        _("billing interval"),
        max_length=8,
        choices=Interval.choices,
        default=Interval.MONTH,
    )
    trial_days = models.PositiveSmallIntegerField(_("free trial days"), default=0)
    audiobook_hours = models.PositiveSmallIntegerField(
        _("audiobook hours per period"), default=0
    )
    includes_exclusive = models.BooleanField(
        _("includes exclusive podcasts"), default=False
    )
    past_due_keeps_access = models.BooleanField(
        _("keep access while a payment is retried"), default=True
    )
    is_active = models.BooleanField(
        _("offered"),
        default=True,
        help_text=_(
            "Plans people subscribe to are never deleted: stop offering them instead."
        ),
    )
    position = models.PositiveSmallIntegerField(_("order on the storefront"), default=0)
    stripe_price_id = models.CharField(
        _("Stripe price ID"),
        max_length=80,
        blank=True,
        help_text=_("Needed only when Stripe takes the payments (price_…)."),
    )

    class Meta:
        ordering = ["position", "price_minor"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0


class Subscription(TimestampedModel):
    class Status(models.TextChoices):
        TRIALING = "trialing", _("Free trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Payment overdue")
        CANCELED = "canceled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    LIVE = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions"
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=16)
    provider_ref = models.CharField(max_length=255, blank=True)
    provider_customer_ref = models.CharField(max_length=255, blank=True)
    # The provider's time of the newest event applied: older ones are skipped.
    provider_synced_at = models.DateTimeField(null=True, blank=True)
    payment_method_ref = models.CharField(max_length=255, blank=True)
    payment_method_label = models.CharField(max_length=64, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["trialing", "active", "past_due"]),
                name="billing_one_live_subscription_per_user",
            ),
            models.CheckConstraint(
                condition=Q(current_period_end__gt=models.F("current_period_start")),
                name="billing_period_not_empty",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "current_period_end"], name="billing_sub_due"
            ),
            models.Index(fields=["status", "next_retry_at"], name="billing_sub_retry"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_status_display()}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class SubscriptionEvent(models.Model):
    """One row per transition or request: the subscription's history."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        TRIAL_CONVERTED = "trial_converted", _("Trial converted")
        RENEWED = "renewed", _("Renewed")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        PAYMENT_RECOVERED = "payment_recovered", _("Payment recovered")
        CANCEL_REQUESTED = "cancel_requested", _("Cancellation requested")
        RESUMED = "resumed", _("Resumed")
        CANCELED = "canceled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        REMINDER_SENT = "reminder_sent", _("Reminder sent")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status or '∅'} → {self.to_status}"


class TrialClaim(models.Model):
    """A free trial taken: by whom (email) and with which card (fingerprint).

    Keyed by keyed hashes, so the claim outlives a deleted account without
    keeping the address or the card.
    """

    email_digest = models.CharField(max_length=64, unique=True)
    payment_fingerprint_digest = models.CharField(
        max_length=64, unique=True, null=True, blank=True
    )
    subscription = models.OneToOneField(
        Subscription, on_delete=models.PROTECT, related_name="trial_claim"
    )
    claimed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"trial {self.subscription_id}"


class PaymentAttempt(models.Model):
    """One try at collecting a period's price; retries are new rows."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="attempts"
    )
    period_start = models.DateTimeField()
    number = models.PositiveSmallIntegerField()
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, validators=[currency_validator])
    status = models.CharField(max_length=16, choices=Status.choices)
    idempotency_key = models.CharField(max_length=160, unique=True)
    provider_ref = models.CharField(max_length=255, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.idempotency_key


class LedgerEntry(models.Model):
    """Money that moved. Append-only: rows are never updated or deleted."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")
        CREDIT = "credit", _("Credit")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_minor = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    currency = models.CharField(max_length=3, validators=[currency_validator])
    idempotency_key = models.CharField(max_length=160, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    refund_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=16)
    provider_ref = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=255)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("ledger entries")
        constraints = [
            # At most one charge per subscription and period, whatever retries.
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=Q(kind="charge"),
                name="billing_one_charge_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor} {self.currency}"

    @property
    def signed_amount_minor(self) -> int:
        """Charges count up, refunds count down, credits owed to the person down."""
        return (
            self.amount_minor if self.kind == self.Kind.CHARGE else -self.amount_minor
        )


class ProcessedWebhook(models.Model):
    """A provider event already handled: replays and duplicates are no-ops."""

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=80)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="billing_webhook_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class PayableEntry(models.Model):
    """Money owed to a payee (a show or a book) for one closed payout period.

    Append-only like ``LedgerEntry``: a closed period's payables are never
    changed; reopening a period writes a ``REVERSAL`` of each instead. The row
    carries what its statement shows (streams, audio seconds, subscribers'
    count), so a statement can be rebuilt from this ledger alone. Billing
    knows a payee only by its key (``show:12``, ``book:3``), not as audio.
    """

    class Kind(models.TextChoices):
        PAYABLE = "payable", _("Payable")
        REVERSAL = "reversal", _("Reversal")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    month = models.DateField(help_text=_("The first day of the payout period."))
    payee = models.CharField(max_length=40)
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, validators=[currency_validator])
    streams = models.PositiveIntegerField(default=0)
    audio_seconds = models.PositiveBigIntegerField(default=0)
    subscribers = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=160, unique=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "payee", "pk"]
        verbose_name_plural = _("payable entries")
        indexes = [
            models.Index(fields=["payee", "month"], name="billing_payable_payee"),
            models.Index(fields=["month", "kind"], name="billing_payable_month"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key
