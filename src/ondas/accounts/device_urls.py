from django.urls import path

from ondas.accounts import device_views

app_name = "device"

urlpatterns = [
    path("", device_views.device_enter_view, name="enter"),
    path("decide/", device_views.device_decide_view, name="decide"),
]
