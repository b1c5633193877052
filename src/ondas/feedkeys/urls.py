from django.urls import path

from ondas.feedkeys import views

app_name = "feedkeys"

urlpatterns = [
    path(
        "feeds/private/<slug:show_slug>/create/",
        views.private_feed_create_view,
        name="private-feed-create",
    ),
    path(
        "feeds/private/<slug:show_slug>/regenerate/",
        views.private_feed_regenerate_view,
        name="private-feed-regenerate",
    ),
]
