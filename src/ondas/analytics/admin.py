from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ondas.accounts.models import User
from ondas.analytics.models import PayoutAudit, PayoutPeriod
from ondas.analytics.payouts.errors import PayoutPeriodNotClosed
from ondas.analytics.payouts.services import payout_period_reopen
from ondas.core.admin import ReadOnlyAdmin
from ondas.core.clock import now as clock_now


class PayoutAuditInline(admin.TabularInline[PayoutAudit, PayoutPeriod]):
    model = PayoutAudit
    extra = 0
    can_delete = False
    readonly_fields = ["at", "action", "actor", "data"]

    def has_add_permission(
        self, request: HttpRequest, obj: PayoutPeriod | None = None
    ) -> bool:
        return False


@admin.register(PayoutPeriod)
class PayoutPeriodAdmin(ReadOnlyAdmin[PayoutPeriod]):
    """Periods are closed by `ondas payouts close`; here they can be reopened."""

    list_display = ["month", "status", "generation", "closed_at"]
    list_filter = ["status"]
    inlines = [PayoutAuditInline]
    actions = ["reopen"]

    @admin.action(
        description=gettext_lazy(
            "Reopen the selected periods (reverses their payables)"
        )
    )
    def reopen(self, request: HttpRequest, queryset: QuerySet[PayoutPeriod]) -> None:
        assert isinstance(request.user, User)
        for period in queryset:
            try:
                payout_period_reopen(
                    period=period,
                    acting_user=request.user,
                    reason=f"admin:{request.user.pk}",
                    now=clock_now(),
                )
            except PayoutPeriodNotClosed as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(
                    request,
                    _("%(month)s reopened.") % {"month": f"{period.month:%Y-%m}"},
                    messages.SUCCESS,
                )
