from django.urls import path, register_converter

from ondas.playback import private_views, transcript_views, views


class ExtensionConverter:
    """A file extension such as ``mp3``: decorative, for apps that want one."""

    regex = "[a-z0-9]{1,5}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ProgressKindConverter:
    """What a position is kept for: an episode or an audiobook."""

    regex = "episode|audiobook"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExtensionConverter, "ext")
register_converter(ProgressKindConverter, "progress_kind")

app_name = "playback"

urlpatterns = [
    path("audio/<int:audio_id>", views.audio_view, name="audio"),
    path("audio/<int:audio_id>.<ext:ext>", views.audio_view, name="audio-ext"),
    # A private feed's enclosures: the token stands in for the session.
    path(
        "audio/<int:audio_id>/k/<str:token>.<ext:ext>",
        private_views.private_audio_view,
        name="private-audio",
    ),
    # Transcripts Ondas stores (the studio's uploads).
    path(
        "transcripts/<int:transcript_id>",
        transcript_views.transcript_view,
        name="transcript",
    ),
    path(
        "transcripts/<int:transcript_id>/k/<str:token>",
        transcript_views.private_transcript_view,
        name="private-transcript",
    ),
    # nginx's question before it sends audio itself (auth_request).
    path("audio/<int:audio_id>/rights", views.audio_rights_view, name="audio-rights"),
    # The book player's JSON endpoints.
    path(
        "playback/books/<int:audiobook_id>/session",
        views.listening_session_open_view,
        name="book-session",
    ),
    path(
        "playback/sessions/<uuid:session_token>/report",
        views.listening_report_view,
        name="session-report",
    ),
    path(
        "playback/episodes/<int:episode_id>/report",
        views.episode_report_view,
        name="episode-report",
    ),
    path(
        "playback/progress/<progress_kind:kind>/<int:item_id>",
        views.progress_view,
        name="progress",
    ),
    path(
        "playback/books/<int:audiobook_id>/bookmarks",
        views.bookmarks_view,
        name="book-bookmarks",
    ),
    path(
        "playback/bookmarks/<int:bookmark_id>",
        views.bookmark_delete_view,
        name="bookmark",
    ),
]
