from django.urls import include, path, re_path

from ondas.api import oauth, views
from ondas.api.v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    # The device authorization grant speaks OAuth's own shapes (RFC 8628).
    path(
        "api/oauth/device_authorization",
        oauth.device_authorization_view,
        name="oauth-device-authorization",
    ),
    path("api/oauth/token", oauth.token_view, name="oauth-token"),
    # The gpodder.net API v2 subset, for podcast apps' sync.
    path("", include("ondas.api.gpodder.urls")),
    # Anything else under /api/ is a 404 in the API's error shape.
    re_path(r"^api/", views.api_not_found_view),
    path(
        ".well-known/oauth-authorization-server",
        oauth.metadata_view,
        name="oauth-metadata",
    ),
]
