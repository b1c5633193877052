"""What the public and the private feed views answer alike: validators, 304s, chapters."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from ondas.catalog.chapters import chapters_to_json
from ondas.catalog.models import Episode
from ondas.feeds.render import CHAPTERS_TYPE
from ondas.feeds.selectors import FeedValidators


def validated(
    response: HttpResponseBase,
    validators: FeedValidators,
    *,
    cache_control: str,
    private: bool = False,
) -> HttpResponseBase:
    """Add the validators and caching headers; a private answer is kept out of
    search engines too."""
    response.headers["ETag"] = validators.etag
    response.headers["Last-Modified"] = http_date(validators.last_modified.timestamp())
    response.headers["Cache-Control"] = cache_control
    if private:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def not_modified(
    request: HttpRequest,
    validators: FeedValidators,
    *,
    cache_control: str,
    private: bool = False,
) -> HttpResponseBase | None:
    """The 304 (or 412) the request's conditions call for, else None."""
    response = get_conditional_response(
        request,
        etag=validators.etag,
        last_modified=int(validators.last_modified.timestamp()),
    )
    if response is None:
        return None
    return validated(response, validators, cache_control=cache_control, private=private)


def chapters_response(episode: Episode) -> HttpResponse:
    """An episode's chapters as a Podcasting 2.0 JSON chapters file."""
    document = chapters_to_json(episode.chapters.all())
    return HttpResponse(
        json.dumps(document, ensure_ascii=False), content_type=CHAPTERS_TYPE
    )
