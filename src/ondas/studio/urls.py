from django.urls import URLPattern, URLResolver, path, register_converter

from ondas.studio import views, views_books, views_episodes, views_shows
from ondas.studio.uploads import views as uploads

app_name = "studio"


class KindConverter:
    """``shows`` or ``books``: the two kinds of object that have members."""

    regex = f"{views.KIND_SHOWS}|{views.KIND_BOOKS}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KindConverter, "studio_kind")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard_view, name="dashboard"),
    path("shows/new/", views.show_create_view, name="show-create"),
    path("shows/<int:show_id>/", views.show_edit_view, name="show-edit"),
    path(
        "<studio_kind:kind>/<int:object_id>/members/",
        views.members_view,
        name="members",
    ),
    path(
        "<studio_kind:kind>/<int:object_id>/members/<int:membership_id>/role/",
        views.member_role_view,
        name="member-role",
    ),
    path(
        "<studio_kind:kind>/<int:object_id>/members/<int:membership_id>/remove/",
        views.member_remove_view,
        name="member-remove",
    ),
    path(
        "<studio_kind:kind>/<int:object_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("<studio_kind:kind>/<int:object_id>/leave/", views.leave_view, name="leave"),
    # Audiobooks and their parts; a show's trailer and its deletion.
    path("books/new/", views_books.book_create_view, name="book-create"),
    path("books/<int:book_id>/", views_books.book_edit_view, name="book-edit"),
    path(
        "books/<int:book_id>/parts/",
        views_books.book_part_add_view,
        name="book-part-add",
    ),
    path(
        "books/<int:book_id>/parts/<int:part_id>/move/",
        views_books.book_part_move_view,
        name="book-part-move",
    ),
    path(
        "books/<int:book_id>/parts/<int:part_id>/rename/",
        views_books.book_part_rename_view,
        name="book-part-rename",
    ),
    path(
        "books/<int:book_id>/parts/<int:part_id>/remove/",
        views_books.book_part_remove_view,
        name="book-part-remove",
    ),
    path(
        "shows/<int:show_id>/trailer/",
        views_shows.show_trailer_view,
        name="show-trailer",
    ),
    path(
        "shows/<int:show_id>/feed/stop/",
        views_shows.show_detach_view,
        name="show-detach",
    ),
    path(
        "shows/<int:show_id>/delete/",
        views_shows.show_delete_view,
        name="show-delete",
    ),
    path("claim/", views.show_claim_find_view, name="show-claim-find"),
    path("claim/<slug:show_slug>/", views.show_claim_view, name="show-claim"),
    path(
        "invitations/<str:token>/",
        views.invitation_accept_view,
        name="invitation-accept",
    ),
    # A show's episodes (views_episodes).
    path(
        "shows/<int:show_id>/episodes/",
        views_episodes.episode_list_view,
        name="episode-list",
    ),
    path(
        "shows/<int:show_id>/episodes/new/",
        views_episodes.episode_create_view,
        name="episode-create",
    ),
    path(
        "shows/<int:show_id>/episodes/<int:episode_id>/",
        views_episodes.episode_edit_view,
        name="episode-edit",
    ),
    path(
        "shows/<int:show_id>/episodes/<int:episode_id>/chapters/",
        views_episodes.episode_chapters_view,
        name="episode-chapters",
    ),
    path(
        "shows/<int:show_id>/episodes/<int:episode_id>/transcripts/",
        views_episodes.episode_transcript_view,
        name="episode-transcript",
    ),
    path(
        "shows/<int:show_id>/episodes/<int:episode_id>/transcripts/transcribe/",
        views_episodes.episode_transcribe_view,
        name="episode-transcribe",
    ),
    path(
        "shows/<int:show_id>/episodes/<int:episode_id>/transcripts/"
        "<int:transcript_id>/remove/",
        views_episodes.episode_transcript_remove_view,
        name="episode-transcript-remove",
    ),
    path(
        "shows/<int:show_id>/episodes/<int:episode_id>/unpublish/",
        views_episodes.episode_unpublish_view,
        name="episode-unpublish",
    ),
    path(
        "shows/<int:show_id>/episodes/<int:episode_id>/delete/",
        views_episodes.episode_delete_view,
        name="episode-delete",
    ),
    path(
        "shows/<int:show_id>/episodes/<int:episode_id>/audio/",
        views_episodes.episode_audio_view,
        name="episode-audio",
    ),
    path("uploads/", uploads.uploads_view, name="upload-create"),
    path("uploads/form/", uploads.upload_form_view, name="upload-form"),
    path(
        "uploads/<uuid:upload_id>/",
        uploads.upload_detail_view,
        name="upload-detail",
    ),
]
