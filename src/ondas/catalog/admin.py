from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ondas.catalog.models import (
    AudioFile,
    Category,
    Chapter,
    Episode,
    EpisodeGuidTombstone,
    FeedPerson,
    FeedProfile,
    Show,
    ShowCategory,
    Transcript,
)
from ondas.catalog.services.lifecycle import episode_delete
from ondas.catalog.services.shows_authored import show_delete
from ondas.core.admin import URL_FIELDS


class ShowCategoryInline(admin.TabularInline[ShowCategory, Show]):
    model = ShowCategory
    extra = 0
    autocomplete_fields = ["category"]


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin[Show]):
    list_display = ["title", "author", "language", "kind", "updated_at"]
    search_fields = ["title", "author"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ShowCategoryInline]

    # Through the service, so that stored files nobody else uses go too.
    def delete_model(self, request: HttpRequest, obj: Show) -> None:
        show_delete(show=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Show]) -> None:
        for show in queryset:
            show_delete(show=show)


class ChapterInline(admin.TabularInline[Chapter, Episode]):
    model = Chapter
    extra = 0


class TranscriptInline(admin.TabularInline[Transcript, Episode]):
    model = Transcript
    extra = 0
    formfield_overrides = URL_FIELDS


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin[Episode]):
    list_display = ["title", "show", "published_at", "access"]
    list_filter = ["access", "show"]
    search_fields = ["title", "guid"]
    list_select_related = ["show"]
    raw_id_fields = ["audio"]
    inlines = [ChapterInline, TranscriptInline]

    # An admin delete is the studio's: the GUID goes into a tombstone and the
    # row stays, soft-deleted. Deleting an already deleted episode purges its
    # row (the tombstone stays: it outlives the row).
    def delete_model(self, request: HttpRequest, obj: Episode) -> None:
        _episode_admin_delete(obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Episode]
    ) -> None:
        for episode in queryset:
            _episode_admin_delete(episode)


def _episode_admin_delete(episode: Episode) -> None:
    if episode.status != Episode.Status.DELETED:
        episode_delete(episode=episode)
        return
    EpisodeGuidTombstone.objects.get_or_create(
        show_id=episode.show_id,
        guid=episode.guid,
        defaults={"deleted_at": episode.deleted_at or episode.updated_at},
    )
    episode.delete()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "parent"]
    search_fields = ["name"]


@admin.register(AudioFile)
class AudioFileAdmin(admin.ModelAdmin[AudioFile]):
    list_display = ["file", "mime_type", "size", "duration_seconds"]


@admin.register(FeedProfile)
class FeedProfileAdmin(admin.ModelAdmin[FeedProfile]):
    formfield_overrides = URL_FIELDS
    list_display = ["show", "owner_name", "owner_email", "locked", "locked_owner"]
    raw_id_fields = ["show"]


@admin.register(FeedPerson)
class FeedPersonAdmin(admin.ModelAdmin[FeedPerson]):
    formfield_overrides = URL_FIELDS
    list_display = ["name", "role", "group", "show", "episode"]
    raw_id_fields = ["show", "episode"]
