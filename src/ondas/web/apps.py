from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ondas.web"
    label = "web"
