from django.urls import path

from ondas.feeds import views

app_name = "feeds"

urlpatterns = [
    path("shows/<slug:show_slug>/feed.xml", views.show_feed_view, name="show-feed"),
    path(
        "shows/<slug:show_slug>/<slug:episode_slug>/chapters.json",
        views.episode_chapters_view,
        name="episode-chapters",
    ),
]
