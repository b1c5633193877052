"""gpodder.net API v2 addresses (``/api/2/…``), as its clients build them."""

from django.urls import path

from ondas.api.gpodder import views

urlpatterns = [
    path(
        "api/2/auth/<str:username>/login.json", views.login_view, name="gpodder-login"
    ),
    path(
        "api/2/auth/<str:username>/logout.json",
        views.logout_view,
        name="gpodder-logout",
    ),
    path(
        "api/2/devices/<str:username>.json",
        views.device_list_view,
        name="gpodder-devices",
    ),
    path(
        "api/2/devices/<str:username>/<str:device>.json",
        views.device_update_view,
        name="gpodder-device",
    ),
    path(
        "api/2/subscriptions/<str:username>/<str:device>.json",
        views.subscriptions_view,
        name="gpodder-subscriptions",
    ),
    path(
        "api/2/episodes/<str:username>.json",
        views.episodes_view,
        name="gpodder-episodes",
    ),
]
