"""What /api/ answers outside its versions. Views stay thin."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from ondas.api.errors import error_response, status_message


def api_not_found_view(request: HttpRequest) -> JsonResponse:
    code, message = status_message(404)
    return error_response(404, code, message)
