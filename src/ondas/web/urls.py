from django.urls import path

from ondas.web import views

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
    path("books/", views.audiobook_list_view, name="audiobook-list"),
    path(
        "books/<slug:book_slug>/",
        views.audiobook_detail_view,
        name="audiobook-detail",
    ),
]
