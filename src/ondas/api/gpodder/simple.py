"""gpodder.net's Simple API: a device's whole subscription list, read or
replaced in one request, as OPML, JSON (a list of addresses) or plain text
(one address a line). Older apps and scripts sync this way; mygpoclient's
``SimpleClient`` does.

A person has one library whatever the device (see ``library.sync``), so every
device reads the same list, and a device that uploads its list makes the
library that list: what it lacks is unfollowed, what is new is followed.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.api.gpodder.auth import gpodder_user
from ondas.api.gpodder.http import gpodder_endpoint, json_answer
from ondas.api.gpodder.render import Urls
from ondas.core import clock
from ondas.core.errors import InvalidRequest
from ondas.core.jsonbody import body_too_large, json_any
from ondas.library.opml import OPML_CONTENT_TYPE, OPMLFeed, opml_parse, opml_render
from ondas.library.sync import device_id_clean, subscriptions_replace
from ondas.library.sync_match import feed_urls_match
from ondas.library.sync_selectors import subscription_urls_current


def _uploaded_urls(request: HttpRequest, fmt: str) -> list[str]:
    """The addresses of an uploaded list; InvalidRequest (400) when unreadable."""
    if fmt == "json":
        data = json_any(request)
        if not isinstance(data, list) or not all(isinstance(u, str) for u in data):
            raise InvalidRequest(
                reason=_("The request body must be a JSON list of feed addresses.")
            )
        return data
    try:
        raw = request.body
    except RequestDataTooBig:
        raise body_too_large() from None
    if fmt == "opml":
        return [feed.xml_url for feed in opml_parse(raw)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest(reason=_("The list is not UTF-8 text.")) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _listed(user: User, fmt: str, urls: list[str]) -> HttpResponse:
    if fmt == "json":
        return json_answer(urls)
    if fmt == "txt":
        text = "".join(url + "\n" for url in urls)
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    else:
        shows = feed_urls_match(urls=urls, user=user)
        feeds = [
            OPMLFeed(xml_url=url, title=shows[url].title if url in shows else url)
            for url in urls
        ]
        body = opml_render(feeds=feeds, title=_("Ondas subscriptions"), now=clock.now())
        response = HttpResponse(body, content_type=OPML_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


@gpodder_endpoint("GET")
def all_subscriptions_view(
    request: HttpRequest, username: str, fmt: str
) -> HttpResponse:
    """Every feed the person follows (the Simple API's list of all devices)."""
    user = gpodder_user(request, username)
    current = subscription_urls_current(user=user, public_url=Urls(request).show_feed)
    return _listed(user, fmt, current)


@gpodder_endpoint("GET", "PUT")
def device_subscriptions_view(
    request: HttpRequest, username: str, device: str, fmt: str
) -> HttpResponse:
    """A device's list: read it, or replace it with the one the device sends."""
    user, now = gpodder_user(request, username), clock.now()
    device_id_clean(device)
    urls = Urls(request)
    current = subscription_urls_current(user=user, public_url=urls.show_feed)
    if request.method == "GET":
        return _listed(user, fmt, current)
    subscriptions_replace(
        user=user,
        device_id=device,
        urls=_uploaded_urls(request, fmt),
        current=current,
        now=now,
    )
    # gpodder.net answers an accepted upload with an empty 200.
    response = HttpResponse(status=200, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
