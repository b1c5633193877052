from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("ondas.accounts.urls")),
    path("device/", include("ondas.accounts.device_urls")),
    path("", include("ondas.api.urls")),
    path("", include("ondas.ops.urls")),
    path("", include("ondas.playback.urls")),
    path("", include("ondas.billing.urls")),
    path("", include("ondas.feedkeys.urls")),
    path("", include("ondas.feeds.urls")),
    path("studio/", include("ondas.studio.urls")),
    path("", include("ondas.web.urls")),
]

handler400 = "ondas.web.errors.bad_request_view"
handler404 = "ondas.web.views.not_found_view"
handler500 = "ondas.web.errors.server_error_view"
