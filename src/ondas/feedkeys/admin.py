"""The admin of private feed keys: read-only, with daily use counts and one
staff action (revoke and replace) that goes through the service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ondas.accounts.models import User
from ondas.core.admin import ReadOnlyAdmin
from ondas.core.clock import now as clock_now
from ondas.feedkeys.errors import PrivateFeedNotFound
from ondas.feedkeys.models import PrivateFeedKey, PrivateFeedKeyUse
from ondas.feedkeys.services import feed_key_revoke_and_replace


class _DateSetFilter(admin.SimpleListFilter):
    """Yes/no on whether a nullable date is set; subclasses name the field."""

    field = ""
    yes_label: StrOrPromise = ""
    no_label: StrOrPromise = ""

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[PrivateFeedKey]
    ) -> list[tuple[str, StrOrPromise]]:
        return [("yes", self.yes_label), ("no", self.no_label)]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[PrivateFeedKey]
    ) -> QuerySet[PrivateFeedKey]:
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class FlaggedFilter(_DateSetFilter):
    title = _("flagged as shared")
    parameter_name = "flagged"
    field = "flagged_at"
    yes_label = _("Flagged")
    no_label = _("Not flagged")


class RevokedFilter(_DateSetFilter):
    title = _("status")
    parameter_name = "revoked"
    field = "revoked_at"
    yes_label = _("Revoked")
    no_label = _("Live")


@admin.register(PrivateFeedKey)
class PrivateFeedKeyAdmin(ReadOnlyAdmin[PrivateFeedKey]):
    """Look at private feed keys; replace one only through the service.

    ``seed`` and ``token_hash`` are never shown: with SECRET_KEY the seed gives
    the working address. Uses are shown as counts per day, not as digests.
    """

    list_display = [
        "user_email",
        "show",
        "origin",
        "created_at",
        "last_used_at",
        "flagged_at",
        "revoked_at",
        "is_live",
    ]
    list_filter = [FlaggedFilter, RevokedFilter, "origin"]
    search_fields = ["user__email", "show__title"]
    list_select_related = ["user", "show"]
    date_hierarchy = "created_at"
    exclude = ["seed", "token_hash"]
    readonly_fields = ["uses_per_day"]
    actions = ["revoke_and_replace"]

    @admin.display(description=_("email"), ordering="user__email")
    def user_email(self, obj: PrivateFeedKey) -> str:
        return obj.user.email

    @admin.display(description=_("live"), boolean=True, ordering="revoked_at")
    def is_live(self, obj: PrivateFeedKey) -> bool:
        return obj.is_live

    @admin.display(description=_("uses per day"))
    def uses_per_day(self, obj: PrivateFeedKey) -> SafeString | str:
        counts: dict[object, dict[str, int]] = {}
        rows = (
            PrivateFeedKeyUse.objects.filter(key=obj)
            .values_list("day", "kind")
            .annotate(n=Count("pk"))
            .order_by("-day", "kind")
        )
        for day, kind, n in rows:
            counts.setdefault(day, {})[kind] = n
        if not counts:
            return gettext("None recorded.")
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("Day"),
            gettext("Networks"),
            gettext("Apps"),
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    day,
                    by_kind.get(PrivateFeedKeyUse.Kind.NETWORK, 0),
                    by_kind.get(PrivateFeedKeyUse.Kind.APP, 0),
                )
                for day, by_kind in counts.items()
            ),
        )
        return format_html("<table>{}{}</table>", head, body)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        # The admin's own forms stay read-only; the action needs the model's
        # change permission all the same.
        return request.user.has_perm("feedkeys.change_privatefeedkey")

    @admin.action(
        description=_(
            "Revoke and replace (the subscriber copies the new address from "
            "their account page)"
        ),
        permissions=["revoke"],
    )
    def revoke_and_replace(
        self, request: HttpRequest, queryset: QuerySet[PrivateFeedKey]
    ) -> None:
        assert isinstance(request.user, User)
        replaced = 0
        for key in queryset.select_related("user", "show"):
            try:
                feed_key_revoke_and_replace(
                    key=key, acting_user=request.user, now=clock_now()
                )
            except PrivateFeedNotFound:
                self.message_user(
                    request,
                    gettext(
                        "The address of %(email)s for %(show)s was already "
                        "revoked; left as it is."
                    )
                    % {"email": key.user.email, "show": key.show.title},
                    messages.WARNING,
                )
            else:
                replaced += 1
        if not replaced:
            return
        self.message_user(
            request,
            ngettext(
                "%(count)s private feed address replaced; its subscriber was told "
                "by email.",
                "%(count)s private feed addresses replaced; their subscribers were "
                "told by email.",
                replaced,
            )
            % {"count": replaced},
            messages.SUCCESS,
        )
