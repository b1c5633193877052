from django.urls import path, re_path

from ondas.api import views
from ondas.api.v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    # Anything else under /api/ is a 404 in the API's error shape.
    re_path(r"^api/", views.api_not_found_view),
]
