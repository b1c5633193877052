"""The gpodder.net API v2 subset podcast apps sync with (AntennaPod, gPodder):
auth, devices, subscriptions and episode actions. Views stay thin: the rules
are in ``library.sync`` (writes) and ``library.sync_selectors`` (reads)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ondas.api.gpodder.auth import gpodder_sign_out, gpodder_user
from ondas.api.gpodder.http import (
    EPOCH,
    body_as,
    body_list_as,
    gpodder_endpoint,
    json_answer,
    since_param,
    timestamp,
)
from ondas.api.gpodder.render import Urls, action_out, aggregate, place_out
from ondas.api.gpodder.schemas import DeviceIn, EpisodeActionIn, SubscriptionsIn
from ondas.core import clock
from ondas.library.sync import (
    UploadedAction,
    device_id_clean,
    episode_actions_upload,
    subscriptions_update,
    sync_device_update,
)
from ondas.library.sync_selectors import (
    episode_actions_since,
    subscription_changes_since,
    subscription_urls_current,
    sync_device_list,
)


@gpodder_endpoint("POST")
def login_view(request: HttpRequest, username: str) -> HttpResponse:
    """Open a session that stands in for the credentials on later requests."""
    gpodder_user(request, username)  # credentials open the session
    return json_answer({})


@gpodder_endpoint("POST")
def logout_view(request: HttpRequest, username: str) -> HttpResponse:
    gpodder_sign_out(request)
    return json_answer({})


@gpodder_endpoint("GET")
def device_list_view(request: HttpRequest, username: str) -> HttpResponse:
    user = gpodder_user(request, username)
    devices = [
        {"id": d.device_id, "caption": d.caption, "type": d.type, "subscriptions": n}
        for d, n in sync_device_list(user=user)
    ]
    return json_answer(devices)


@gpodder_endpoint("POST")
def device_update_view(
    request: HttpRequest, username: str, device: str
) -> HttpResponse:
    user = gpodder_user(request, username)
    body = body_as(request, DeviceIn)
    sync_device_update(
        user=user,
        device_id=device,
        caption=body.caption,
        type=body.type,
        now=clock.now(),
    )
    return HttpResponse(status=200, content_type="application/json")


@gpodder_endpoint("GET", "POST")
def subscriptions_view(
    request: HttpRequest, username: str, device: str
) -> HttpResponse:
    user, now = gpodder_user(request, username), clock.now()
    device_id_clean(device)
    urls = Urls(request)
    if request.method == "POST":
        body = body_as(request, SubscriptionsIn)
        subscriptions_update(
            user=user, device_id=device, add=body.add, remove=body.remove, now=now
        )
        return json_answer({"timestamp": timestamp(now), "update_urls": []})
    since = since_param(request)
    if since is None:
        add = subscription_urls_current(user=user, public_url=urls.show_feed)
        remove: list[str] = []
    else:
        add, remove = subscription_changes_since(
            user=user, since=since, public_url=urls.show_feed
        )
    return json_answer({"add": add, "remove": remove, "timestamp": timestamp(now)})


@gpodder_endpoint("GET", "POST")
def episodes_view(request: HttpRequest, username: str) -> HttpResponse:
    user, now = gpodder_user(request, username), clock.now()
    if request.method == "POST":
        actions = [
            UploadedAction(**item.model_dump())
            for item in body_list_as(request, EpisodeActionIn)
        ]
        episode_actions_upload(user=user, actions=actions, now=now)
        return json_answer({"timestamp": timestamp(now), "update_urls": []})
    urls = Urls(request)
    logged, places = episode_actions_since(
        user=user,
        since=since_param(request) or EPOCH,
        podcast=request.GET.get("podcast") or None,
        device_id=request.GET.get("device") or None,
        public_url=urls.show_feed,
    )
    out = [action_out(a) for a in logged] + [place_out(p, urls) for p in places]
    if request.GET.get("aggregated", "").lower() == "true":
        out = aggregate(out)
    return json_answer({"actions": out, "timestamp": timestamp(now)})
