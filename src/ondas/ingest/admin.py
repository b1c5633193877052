"""Imported feeds in the admin: sources, the refresh audit, and the held-change decisions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ondas.core.admin import URL_FIELDS
from ondas.core.errors import OndasError
from ondas.ingest.models import FeedImport, FeedRefresh, FeedSource, RemoteEpisode
from ondas.ingest.services.refresh import (
    feed_refresh_approve,
    feed_refresh_reject,
    feed_source_refresh_task,
)


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin[FeedSource]):
    formfield_overrides = URL_FIELDS
    list_display = [
        "url",
        "show",
        "enabled",
        "next_refresh_at",
        "failure_count",
        "last_success_at",
    ]
    list_filter = ["enabled", ("detached_at", admin.EmptyFieldListFilter)]
    search_fields = ["url", "show__title"]
    list_select_related = ["show"]
    raw_id_fields = ["show", "imported_by"]
    readonly_fields = [
        "etag",
        "last_modified",
        "applied_content_sha256",
        "applied_newest_item_at",
        "applied_build_date",
        "last_attempt_at",
        "last_success_at",
        "failure_count",
    ]
    actions = ["refresh_now"]

    @admin.action(description=gettext_lazy("Refresh now"), permissions=["change"])
    def refresh_now(self, request: HttpRequest, queryset: QuerySet[FeedSource]) -> None:
        count = 0
        for source in queryset:
            feed_source_refresh_task.enqueue(source_id=source.pk, trigger="manual")
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)s feed queued for refresh.",
                "%(count)s feeds queued for refresh.",
                count,
            )
            % {"count": count},
        )


@admin.register(FeedRefresh)
class FeedRefreshAdmin(admin.ModelAdmin[FeedRefresh]):
    formfield_overrides = URL_FIELDS
    list_display = [
        "started_at",
        "source",
        "trigger",
        "outcome",
        "reason",
        "items_in_feed",
        "added",
        "updated",
        "missing",
        "restored",
        "decision",
    ]
    list_filter = ["outcome", "decision", "trigger"]
    search_fields = ["source__url", "message"]
    list_select_related = ["source"]
    date_hierarchy = "started_at"
    actions = ["approve_held", "reject_held"]
    exclude = ["held_body"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: FeedRefresh | None = None
    ) -> list[str]:
        return [f.name for f in FeedRefresh._meta.fields if f.name != "held_body"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: FeedRefresh | None = None
    ) -> bool:
        return False  # the audit trail is kept

    @admin.action(
        description=gettext_lazy("Approve the held changes"), permissions=["change"]
    )
    def approve_held(
        self, request: HttpRequest, queryset: QuerySet[FeedRefresh]
    ) -> None:
        for refresh in queryset:
            try:
                row = feed_refresh_approve(refresh=refresh, acting_user=request.user)  # type: ignore[arg-type]
            except OndasError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            self.message_user(
                request,
                _(
                    "Refresh %(held)s approved: %(missing)s marked missing, %(added)s added."
                )
                % {"held": refresh.pk, "missing": row.missing, "added": row.added},
            )

    @admin.action(
        description=gettext_lazy("Reject the held changes"), permissions=["change"]
    )
    def reject_held(
        self, request: HttpRequest, queryset: QuerySet[FeedRefresh]
    ) -> None:
        for refresh in queryset:
            try:
                feed_refresh_reject(refresh=refresh, acting_user=request.user)  # type: ignore[arg-type]
            except OndasError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            self.message_user(
                request, _("Refresh %(held)s rejected.") % {"held": refresh.pk}
            )


@admin.register(RemoteEpisode)
class RemoteEpisodeAdmin(admin.ModelAdmin[RemoteEpisode]):
    formfield_overrides = URL_FIELDS
    list_display = ["episode", "source", "enclosure_type", "missing_since"]
    list_filter = ["chapters_origin"]
    search_fields = ["episode__title", "episode__guid", "enclosure_url"]
    list_select_related = ["episode", "source"]
    raw_id_fields = ["episode", "source"]


@admin.register(FeedImport)
class FeedImportAdmin(admin.ModelAdmin[FeedImport]):
    """Imports asked for on the import page: a record, not something to edit."""

    list_display = ["url", "status", "reason", "requested_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["url"]
    list_select_related = ["requested_by"]
    raw_id_fields = ["requested_by", "source"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: FeedImport | None = None
    ) -> bool:
        return False
