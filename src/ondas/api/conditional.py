"""ETags for the API's reads, and 304 when the client has the answer already.

A show's reads are tagged from its content version
(``catalog.selectors.show_content_stamp``): a 304 costs one narrow query and
builds nothing. Other reads are tagged by a hash of their body (Django's
``conditional_page``).

A show's tag names everything its answer depends on, so the answer itself
can be kept under it (``kept_answer``): the same tag, the same bytes. A new
episode, an edit or a scheduled episode coming out changes the tag, and the
kept copy is never read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.translation import get_language
from ninja import Schema
from ninja.renderers import JSONRenderer

from ondas.catalog.selectors import show_content_stamp, show_version_get
from ondas.core import clock


def show_etag(request: HttpRequest, *, slug: str, rights: str) -> str:
    """The tag of this read of the show at ``slug``: its content, the caller's
    rights (``rights``) and the query (page and size) together."""
    version = show_version_get(slug=slug)  # ShowNotFound: 404
    stamp = show_content_stamp(show=version, now=clock.now())
    seed = f"{stamp.key}|{rights}|{request.get_full_path()}"
    return '"' + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32] + '"'


def not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    """A 304 when the request's If-None-Match holds ``etag``, else None."""
    answer = get_conditional_response(request, etag=etag)
    if answer is None:
        return None
    assert isinstance(answer, HttpResponse)
    answer["ETag"] = etag
    return answer


# How long a kept answer stays (a changed show makes a new tag at once, so
# this is memory, not freshness; as the show page's kept list).
KEPT_SECONDS = 24 * 60 * 60
# The API's renderer (``v1.api`` keeps ninja's default): kept bytes are the
# bytes ninja would write.
RENDERER = JSONRenderer()
CONTENT_TYPE = f"{RENDERER.media_type}; charset={RENDERER.charset}"


def kept_answer(
    request: HttpRequest,
    *,
    etag: str,
    build: Callable[[], Schema],
) -> HttpResponse:
    """The answer tagged ``etag``: rendered from ``build()`` once, then kept
    under the tag (and the language) and sent as kept."""
    key = f"ondas:api:kept:{get_language()}:{etag}"
    content = cache.get(key)
    if content is None:
        content = RENDERER.render(request, build().model_dump(), response_status=200)
        cache.set(key, content, KEPT_SECONDS)
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["ETag"] = etag
    return response
