"""ETags for the API's reads, and 304 when the client has the answer already.

A show's reads are tagged from its content version
(``catalog.selectors.show_content_stamp``): a 304 costs one narrow query and
builds nothing. Other reads are tagged by a hash of their body (Django's
``conditional_page``).
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response

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
