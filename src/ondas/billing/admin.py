from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ondas.accounts.models import User
from ondas.billing.errors import InvalidTransition
from ondas.billing.models import (
    LedgerEntry,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionEvent,
)
from ondas.billing.services import subscription_record_offline_payment
from ondas.core.admin import ReadOnlyAdmin
from ondas.core.clock import now as clock_now


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    list_display = [
        "name",
        "price_minor",
        "currency",
        "interval",
        "trial_days",
        "audiobook_hours",
        "includes_exclusive",
        "is_active",
    ]
    list_editable = ["is_active"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(
        self, request: HttpRequest, obj: Plan | None = None
    ) -> bool:
        # A plan someone subscribed to stays: switch "offered" off instead.
        if obj is not None and obj.subscriptions.exists():
            return False
        return super().has_delete_permission(request, obj)


class EventInline(admin.TabularInline[SubscriptionEvent, Subscription]):
    model = SubscriptionEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "from_status", "to_status", "actor", "data"]

    def has_add_permission(
        self, request: HttpRequest, obj: Subscription | None = None
    ) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    list_display = [
        "user",
        "plan",
        "status",
        "current_period_end",
        "cancel_at_period_end",
    ]
    list_filter = ["status", "plan", "provider"]
    search_fields = ["user__email", "provider_ref"]
    list_select_related = ["user", "plan"]
    readonly_fields = [f.name for f in Subscription._meta.fields]
    inlines = [EventInline]
    actions = ["record_offline_payment"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Subscription | None = None
    ) -> bool:
        return False

    @admin.action(description=_("Record an offline payment for the overdue period"))
    def record_offline_payment(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> None:
        assert isinstance(request.user, User)
        for sub in queryset:
            try:
                subscription_record_offline_payment(
                    subscription=sub,
                    acting_user=request.user,
                    reference=f"admin:{request.user.pk}",
                    now=clock_now(),
                )
            except InvalidTransition as exc:
                self.message_user(request, f"{sub}: {exc.message}", messages.WARNING)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin[LedgerEntry]):
    list_display = [
        "created_at",
        "kind",
        "amount_minor",
        "currency",
        "user",
        "idempotency_key",
    ]
    list_filter = ["kind", "currency", "provider"]
    search_fields = ["idempotency_key", "provider_ref", "user__email"]
    list_select_related = ["user"]


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin[PaymentAttempt]):
    list_display = ["created_at", "subscription", "number", "status", "failure_reason"]
    list_filter = ["status"]
