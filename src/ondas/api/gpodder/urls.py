"""gpodder.net addresses as its clients build them: API v2 (``/api/2/…``) and
the Simple API's subscription lists (``/subscriptions/…``)."""

from django.urls import path, re_path

from ondas.api.gpodder import simple, views

_FORMAT = r"(?P<fmt>opml|json|txt)"

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
    # The Simple API: a device's whole list, at the site's root as clients
    # (mygpoclient's SimpleClient) build the address.
    re_path(
        rf"^subscriptions/(?P<username>[^/]+)\.{_FORMAT}$",
        simple.all_subscriptions_view,
        name="gpodder-simple-all",
    ),
    re_path(
        rf"^subscriptions/(?P<username>[^/]+)/(?P<device>[^/]+)\.{_FORMAT}$",
        simple.device_subscriptions_view,
        name="gpodder-simple-device",
    ),
]
