from django.urls import path, register_converter

from ondas.web import views, views_numbers, views_pwa


class _Tables:
    """The names of a numbers page's tables, as their CSV addresses spell them."""

    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ShowTables(_Tables):
    regex = "days|episodes|apps|statements"


class EpisodeTables(_Tables):
    regex = "days|chapters"


register_converter(ShowTables, "show_table")
register_converter(EpisodeTables, "episode_table")

app_name = "web"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("media/artwork/<path:path>", views.artwork_view, name="artwork"),
    path("shows/<slug:show_slug>/", views.show_detail_view, name="show-detail"),
    path(
        "shows/<slug:show_slug>/<slug:episode_slug>/",
        views.episode_detail_view,
        name="episode-detail",
    ),
    path("browse/", views.browse_view, name="browse"),
    path("search/", views.search_view, name="search"),
    path("search/suggest/", views.search_suggest_view, name="search-suggest"),
    path("privacy/", views.privacy_view, name="privacy"),
    path(
        "manifest.<str:language>.webmanifest",
        views_pwa.manifest_view,
        name="manifest",
    ),
    path("sw.js", views_pwa.service_worker_view, name="service-worker"),
    path("offline/", views_pwa.offline_view, name="offline"),
    path("books/", views.audiobook_list_view, name="audiobook-list"),
    path(
        "books/<slug:book_slug>/",
        views.audiobook_detail_view,
        name="audiobook-detail",
    ),
    path("library/", views.library_view, name="library"),
    path(
        "library/ondas-shows.opml",
        views.library_opml_export_view,
        name="library-opml-export",
    ),
    path("library/import/", views.library_opml_import_view, name="library-opml-import"),
    path(
        "library/follow/<slug:show_slug>/", views.show_follow_view, name="show-follow"
    ),
    path(
        "library/unfollow/<slug:show_slug>/",
        views.show_unfollow_view,
        name="show-unfollow",
    ),
    path("studio/import/", views.feed_import_view, name="feed-import"),
    path(
        "studio/import/<int:import_id>/",
        views.feed_import_detail_view,
        name="feed-import-detail",
    ),
    # The creator's numbers: studio pages, in the web face because they read
    # both studio (who may see them) and analytics (web.views_numbers).
    path(
        "studio/shows/<int:show_id>/numbers/",
        views_numbers.show_numbers_view,
        name="numbers-show",
    ),
    path(
        "studio/shows/<int:show_id>/numbers/<show_table:table>.csv",
        views_numbers.show_numbers_csv_view,
        name="numbers-show-csv",
    ),
    path(
        "studio/shows/<int:show_id>/numbers/episodes/<int:episode_id>/",
        views_numbers.episode_numbers_view,
        name="numbers-episode",
    ),
    path(
        "studio/shows/<int:show_id>/numbers/episodes/<int:episode_id>/"
        "<episode_table:table>.csv",
        views_numbers.episode_numbers_csv_view,
        name="numbers-episode-csv",
    ),
]
