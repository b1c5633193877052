from django.contrib import admin

from ondas.catalog.models import (
    AudioFile,
    Category,
    Chapter,
    Episode,
    FeedPerson,
    FeedProfile,
    Show,
    ShowCategory,
    Transcript,
)
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
