"""Operational endpoints: ``/healthz``, ``/readyz`` and ``/metrics``.

nginx (``ondas deploy nginx``) lets only loopback reach them from outside;
``/metrics`` asks for more itself (``ondas.ops.metrics_access``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ondas.ops.health import readiness_check
from ondas.ops.metrics import metrics_render
from ondas.ops.metrics_access import metrics_access_allowed


@never_cache
@require_safe
def healthz_view(request: HttpRequest) -> HttpResponse:
    """The process is up and answering; nothing else is checked."""
    return JsonResponse({"status": "alive"})


@never_cache
@require_safe
def readyz_view(request: HttpRequest) -> HttpResponse:
    """200 while this node should get traffic; 503 once it drains or loses its DB."""
    readiness = readiness_check()
    return JsonResponse(
        {"status": readiness.reason}, status=200 if readiness.ready else 503
    )


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition, summed over every worker process.

    For loopback clients, or only the bearer of ONDAS_METRICS_TOKEN when it is
    set; anyone else gets the site's 404.
    """
    if not metrics_access_allowed(
        remote_addr=str(request.META.get("REMOTE_ADDR", "")),
        authorization=request.headers.get("Authorization", ""),
        token=settings.ONDAS_METRICS_TOKEN,
    ):
        raise Http404
    body, content_type = metrics_render()
    return HttpResponse(body, content_type=content_type)
