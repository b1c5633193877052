from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ondas.core"
    label = "core"
