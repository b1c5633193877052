from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ondas.ops"
    label = "ops"
