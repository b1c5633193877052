from django.urls import URLPattern, URLResolver, path

from ondas.studio.uploads import views as uploads

app_name = "studio"

urlpatterns: list[URLPattern | URLResolver] = [
    path("uploads/", uploads.uploads_view, name="upload-create"),
    path("uploads/form/", uploads.upload_form_view, name="upload-form"),
    path(
        "uploads/<uuid:upload_id>/",
        uploads.upload_detail_view,
        name="upload-detail",
    ),
]
