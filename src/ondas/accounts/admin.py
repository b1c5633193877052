from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ondas.accounts.errors import (
    AccountDeleted,
    EmailAlreadyRegistered,
    LastStaffMember,
    RoleChangeForbidden,
)
from ondas.accounts.models import User
from ondas.accounts.selectors import user_email_taken
from ondas.accounts.services import email_normalize, user_set_role


def _clean_admin_email(email: str, *, pk: int | None) -> str:
    email = email_normalize(email)
    if user_email_taken(email=email, exclude_pk=pk):
        raise ValidationError(EmailAlreadyRegistered().message)
    return email


class UserCreationAdminForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        return _clean_admin_email(self.cleaned_data["email"], pk=None)


class UserChangeAdminForm(auth_forms.UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _clean_admin_email(self.cleaned_data["email"], pk=self.instance.pk)


def _set_role(
    admin_view: "UserAdmin",
    request: HttpRequest,
    queryset: QuerySet[User],
    role: User.Role,
) -> None:
    acting_user = request.user
    assert isinstance(acting_user, User)  # the admin requires a signed-in staff user
    changed = 0
    for user in queryset:
        try:
            user_set_role(user=user, role=role, acting_user=acting_user)
        except (RoleChangeForbidden, LastStaffMember, AccountDeleted) as exc:
            admin_view.message_user(request, exc.message, messages.ERROR)
        else:
            changed += 1
    admin_view.message_user(
        request,
        ngettext(
            "%(count)s account is now: %(role)s.",
            "%(count)s accounts are now: %(role)s.",
            changed,
        )
        % {"count": changed, "role": role.label},
        messages.SUCCESS,
    )


@admin.action(description=_("Make listener"))
def make_listener(
    admin_view: "UserAdmin", request: HttpRequest, queryset: QuerySet[User]
) -> None:
    _set_role(admin_view, request, queryset, User.Role.LISTENER)


@admin.action(description=_("Make creator"))
def make_creator(
    admin_view: "UserAdmin", request: HttpRequest, queryset: QuerySet[User]
) -> None:
    _set_role(admin_view, request, queryset, User.Role.CREATOR)


@admin.action(description=_("Make staff"))
def make_staff(
    admin_view: "UserAdmin", request: HttpRequest, queryset: QuerySet[User]
) -> None:
    _set_role(admin_view, request, queryset, User.Role.STAFF)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    add_form = UserCreationAdminForm
    form = UserChangeAdminForm
    list_display = [
        "email",
        "role",
        "is_staff",
        "email_verified_at",
        "date_joined",
        "deleted_at",
    ]
    list_filter = [
        "role",
        "is_staff",
        "is_active",
        ("deleted_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    # Role and staff status change through user_set_role (the actions above),
    # which keeps them in step and never demotes the last staff account.
    readonly_fields = [
        "role",
        "is_staff",
        "email_verified_at",
        "deleted_at",
        "last_login",
        "date_joined",
    ]
    actions = [make_listener, make_creator, make_staff]
    fieldsets = (
        (None, {"fields": ("email", "password", "role", "email_verified_at")}),
        (_("Profile"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined", "deleted_at")}),
    )

    def save_model(
        self, request: HttpRequest, obj: User, form: Any, change: bool
    ) -> None:
        # ``username`` mirrors the email; a changed address is not confirmed.
        if obj.username != obj.email:
            if change:
                obj.email_verified_at = None
            obj.username = obj.email
        super().save_model(request, obj, form, change)

    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )
