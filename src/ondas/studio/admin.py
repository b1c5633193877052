"""The admin of studio members: staff give a show or book its first owner here
(or with ``ondas studio grant``). Saving and deleting go through the services,
so the last-owner rule holds in the admin too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from ondas.core.errors import OndasError
from ondas.studio.models import Membership
from ondas.studio.services.members import membership_grant, membership_remove


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "role", "show", "audiobook", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "show__title", "audiobook__title"]
    raw_id_fields = ["user", "show", "audiobook"]
    actions = None  # a bulk delete would skip the last-owner rule

    def get_readonly_fields(
        self, request: HttpRequest, obj: Membership | None = None
    ) -> list[str]:
        # Once made, a membership only changes role.
        return ["user", "show", "audiobook"] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: Membership, form: ModelForm[Any], change: bool
    ) -> None:
        target = obj.show or obj.audiobook
        assert target is not None  # the model's check constraint
        try:
            saved = membership_grant(target=target, user=obj.user, role=obj.role)
        except OndasError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        try:
            membership_remove(membership=obj, acting_user=request.user)  # type: ignore[arg-type]
        except OndasError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Membership]
    ) -> None:
        for membership in queryset:
            self.delete_model(request, membership)
