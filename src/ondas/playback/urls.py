from django.urls import path, register_converter

from ondas.playback import views


class ExtensionConverter:
    """A file extension such as ``mp3``: decorative, for apps that want one."""

    regex = "[a-z0-9]{1,5}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExtensionConverter, "ext")

app_name = "playback"

urlpatterns = [
    path("audio/<int:audio_id>", views.audio_view, name="audio"),
    path("audio/<int:audio_id>.<ext:ext>", views.audio_view, name="audio-ext"),
]
