from django.urls import path

from ondas.feeds import private_views, views

app_name = "feeds"

urlpatterns = [
    path("shows/<slug:show_slug>/feed.xml", views.show_feed_view, name="show-feed"),
    path(
        "shows/<slug:show_slug>/<slug:episode_slug>/chapters.json",
        views.episode_chapters_view,
        name="episode-chapters",
    ),
    # A subscriber's private feed: the token is their credential.
    path(
        "feeds/private/<str:token>/<slug:show_slug>.xml",
        private_views.private_feed_view,
        name="private-feed",
    ),
    path(
        "feeds/private/<str:token>/<slug:show_slug>/<slug:episode_slug>/chapters.json",
        private_views.private_episode_chapters_view,
        name="private-episode-chapters",
    ),
]
